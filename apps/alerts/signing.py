"""Standard Webhooks signatures (v1: HMAC-SHA256) for our outbound JSON webhooks."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, shown as whsec_ + base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_`` secret; ValueError when it is not 24–64 bytes of base64."""
    if not secret.startswith(PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except ValueError as exc:
        raise ValueError("the part after whsec_ is not base64") from exc
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a signing secret holds 24–64 bytes, this one {len(key)}")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for exactly these body bytes."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
