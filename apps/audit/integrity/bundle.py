"""Verify an InferOps audit export bundle offline: ``python3 audit-bundle.zip`` (the bundle carries this
verifier), or ``python3 -m inferops_audit.bundle PATH`` for a bundle unpacked into a folder. Needs
Python 3.9+ and the ``cryptography`` package (Ed25519); nothing of InferOps and no network.

A bundle holds, per stream (the product's audit trail, a project's decision ledger):
  <stream>/records.jsonl      the records in seq order, one JSON object per line; records the export's
                              filter left out are "elided": only seq, prev_hash and record_hash
  <stream>/checkpoints.json   the signed checkpoints covering them
and public_key.pem (Ed25519) with manifest.json (where each stream starts and the chain head it ends on).

The procedure, which anyone may reimplement:
  1. The key: SHA-256 of the raw 32-byte public key must equal the fingerprint the operator published.
  2. Each record: record_hash = SHA-256(JCS(record without record_hash) ‖ prev_hash) (RFC 8785
     canonical JSON, UTF-8; prev_hash as its ASCII hex), and prev_hash equals the previous record's
     record_hash; seq counts up by one.
  3. Each checkpoint: an Ed25519 signature over JCS({stream, number, first_seq, last_seq, root_hash,
     prev_signature, signed_at, key_fingerprint}); prev_signature is the previous checkpoint's
     signature ("null" for a stream's first); root_hash is the RFC 6962 Merkle root over the leaves
     [prev_signature as ASCII, then the record hashes first_seq…last_seq as 32 raw bytes each].
Records after the last checkpoint are chained but not yet signed: their order holds, but no signature
proves them, so the verifier reports them as unverified.

Exit status: 0 every record is covered by a valid signed checkpoint; 1 a stream breaks (the first
record where it does is printed); 2 the bundle cannot be read; 3 the chain holds but some records are
not yet signed (export again after the next seal)."""

import json
import sys
import zipfile
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

from .chain import Report, verify

FORMAT = "inferops-audit-bundle/1"


class Bundle:
    """A bundle read from a zip file or a folder."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.zip = zipfile.ZipFile(self.path) if self.path.is_file() else None

    def read(self, name: str) -> bytes:
        if self.zip is not None:
            return self.zip.read(name)
        return (self.path / name).read_bytes()

    def lines(self, name: str) -> Iterator[dict]:
        handle = self.zip.open(name) if self.zip is not None else (self.path / name).open("rb")
        with handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def public_key_raw(pem: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(pem)
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_bundle(path: str) -> list[tuple[str, Report]]:
    """Each stream of the bundle with its verification report; raises ValueError on a malformed bundle
    or a key that does not match the manifest's fingerprint."""
    bundle = Bundle(path)
    manifest = json.loads(bundle.read("manifest.json"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} bundle (format {manifest.get('format')!r})")
    raw = public_key_raw(bundle.read("public_key.pem"))
    if sha256(raw).hexdigest() != manifest["key_fingerprint"]:
        raise ValueError("public_key.pem does not match the manifest's key fingerprint")
    results = []
    for stream in manifest["streams"]:
        checkpoints = json.loads(bundle.read(stream["checkpoints"]))
        head = tuple(stream["head"]) if stream.get("head") else None
        report = verify(bundle.lines(stream["records"]), checkpoints, raw, first_seq=stream["first_seq"],
                        prev_hash=stream["prev_hash"], prev_signature=stream["prev_signature"], head=head)
        results.append((stream["name"], report))
    return results


def main(argv: list[str]) -> int:
    path = argv[0] if argv else str(Path(__file__).resolve().parent.parent)
    try:
        results = verify_bundle(path)
        fingerprint = json.loads(Bundle(path).read("manifest.json"))["key_fingerprint"]
    except (OSError, KeyError, ValueError) as exc:
        print(f"cannot verify {path}: {exc}")
        return 2
    print(f"signing key fingerprint {fingerprint} (compare it with the one your operator published)")
    status = 0
    for name, report in results:
        fault = report.first_break
        if fault is not None:
            print(f"{name}: BROKEN at record {fault.seq} ({fault.kind}): {fault.detail}")
            status = 1
        elif report.unsealed_from is not None:
            print(f"{name}: UNVERIFIED from record {report.unsealed_from}: {report.records} records chain correctly, "
                  f"but those from {report.unsealed_from} are not covered by a signed checkpoint yet")
            status = status or 3
        else:
            print(f"{name}: OK, {report.records} records, {report.checkpoints} checkpoints")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
