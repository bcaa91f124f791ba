"""Ingest key authentication with a short in-memory cache, so the hot path rarely touches the DB.

A revoked key stops working within ``CACHE_TTL_S``. Unknown keys are cached negatively too, so
a flood of bad keys cannot turn into a flood of DB queries.
"""

import hashlib
import threading
import time

from ingest.envelope import DROP_CONTENT
from ingest.errors import Unauthenticated
from ingest.redaction import envelope_fields

CACHE_TTL_S = 30.0
CACHE_MAX = 10_000
_cache: dict[str, tuple[int | None, float]] = {}
# Per project, the envelope fields carrying its content redaction; refreshed with its keys' lookups.
_redaction: dict[int, bytes] = {}
_lock = threading.Lock()


def extract_key(headers: dict[str, str]) -> str:
    """The key from ``Authorization: Bearer …`` or ``x-inferops-key``; header names lower-case."""
    key = headers.get("x-inferops-key", "").strip()
    if not key:
        authorization = headers.get("authorization", "").strip()
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            key = token.strip()
    if not key:
        raise Unauthenticated("missing ingest key: send 'Authorization: Bearer <key>' or 'x-inferops-key: <key>'")
    return key


def _lookup(key: str) -> int | None:
    from apps.core.models import KeyKind
    from apps.core.services import api_key_authenticate

    api_key = api_key_authenticate(key, str(KeyKind.INGEST))
    if api_key is None:
        return None
    _redaction[api_key.project_id] = envelope_fields(api_key.project_id, api_key.project.content_redaction)
    return api_key.project_id


def redaction(project_id: int) -> bytes:
    """The project's redaction envelope fields, as last looked up; content is dropped if unknown."""
    return _redaction.get(project_id, DROP_CONTENT)


def project_for_key(key: str) -> int:
    """The project id this ingest key writes to; raises Unauthenticated. May query the DB (sync)."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    now = time.monotonic()
    cached = _cache.get(digest)
    if cached is None or cached[1] < now:
        project_id = _lookup(key)
        with _lock:
            if len(_cache) >= CACHE_MAX:
                _cache.clear()
            _cache[digest] = (project_id, now + CACHE_TTL_S)
    else:
        project_id = cached[0]
    if project_id is None:
        raise Unauthenticated("unknown or revoked ingest key")
    return project_id


def cached_project(key: str) -> int | None | bool:
    """Cache-only lookup: project id, None (known bad), or False (not cached / expired)."""
    cached = _cache.get(hashlib.sha256(key.encode()).hexdigest())
    if cached is None or cached[1] < time.monotonic():
        return False
    return cached[0]
