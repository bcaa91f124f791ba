"""Redaction of prompt and completion content at ingest, per project (the SQL that applies it is in
warehouse/schema/0014_redaction.sql). Hashing uses HMAC-SHA-256 with a key derived for the project
from the installation's secret, so equal texts hash equal within a project (a repeated prompt can be
found) but not across projects, and nobody without the secret can test a guess."""

import hashlib
import hmac

from django.conf import settings

from ingest.envelope import DROP, HASH, KEEP, redaction_fields

MODES = {"drop": DROP, "hash": HASH, "keep": KEEP}


def project_key(project_id: int) -> bytes:
    secret = (settings.REDACTION_KEY or settings.SECRET_KEY).encode()
    return hmac.new(secret, f"inferops/content-redaction/{project_id}".encode(), hashlib.sha256).digest()


def hashed(project_id: int, text: str) -> str:
    """What a hashed content attribute holds in the warehouse."""
    return "hmac-sha256:" + hmac.new(project_key(project_id), text.encode(), hashlib.sha256).hexdigest()


def envelope_fields(project_id: int, mode: str) -> bytes:
    """The envelope fields that carry the project's choice to the ingest views (unknown: drop)."""
    code = MODES.get(mode, DROP)
    return redaction_fields(code, project_key(project_id) if code == HASH else b"")
