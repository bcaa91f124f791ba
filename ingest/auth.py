"""Ingest key authentication with a short in-memory cache, so the hot path rarely touches the DB.

A revoked key stops working within ``CACHE_TTL_S``. Unknown keys are cached negatively too, so
a flood of bad keys cannot turn into a flood of DB queries.
"""

import hashlib
import threading
import time

from ingest.errors import Unauthenticated

CACHE_TTL_S = 30.0
CACHE_MAX = 10_000
_cache: dict[str, tuple[int | None, float]] = {}
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
    return api_key.project_id if api_key else None


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
