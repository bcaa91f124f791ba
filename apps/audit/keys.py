"""The Ed25519 key that signs checkpoints: created on first use in the data folder (readable by the
owner only) or read from INFEROPS_AUDIT_SIGNING_KEY; auditors need only the public key and its
fingerprint."""

import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from .integrity.chain import key_fingerprint


def key_path() -> Path:
    configured = getattr(settings, "AUDIT_SIGNING_KEY", "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "audit" / "ed25519-signing-key.pem"


@cache
def signing_key() -> Ed25519PrivateKey:
    path = key_path()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey), f"{path} is not an Ed25519 key"
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return key


def public_raw() -> bytes:
    return signing_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem() -> str:
    return signing_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint() -> str:
    return key_fingerprint(public_raw())
