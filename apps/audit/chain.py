"""The audit trail's integrity, as pure functions: each record's hash covers its canonical content and
the previous record's hash (a chain); checkpoints seal a range of records with an RFC 6962 Merkle
root over the previous checkpoint's signature and the records' hashes, signed with Ed25519 (the first
checkpoint's previous signature is the string "null", as in CloudTrail's digests).

``verify`` walks records and checkpoints and reports the first place where the trail breaks: a changed
record, a missing one (a gap is reported, never bridged), records out of order or inserted, or a
checkpoint whose root or signature does not hold."""

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import merkle
from .canonical import canonical

GENESIS = "0" * 64
STREAM = "product"


def record_hash(record: dict) -> str:
    """SHA-256(canonical(record without record_hash) ‖ prev_hash)."""
    body = {k: v for k, v in record.items() if k != "record_hash"}
    return hashlib.sha256(canonical(body) + record["prev_hash"].encode("ascii")).hexdigest()


def checkpoint_leaves(prev_signature: str, hashes: list[str]) -> list[bytes]:
    return [prev_signature.encode("ascii")] + [bytes.fromhex(h) for h in hashes]


def checkpoint_message(cp: dict) -> bytes:
    """What a checkpoint's signature covers."""
    return canonical({k: cp[k] for k in ("stream", "number", "first_seq", "last_seq", "root_hash",
                                         "prev_signature", "signed_at", "key_fingerprint")})


def key_fingerprint(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


@dataclass(frozen=True)
class Break:
    seq: int | None              # the record where the trail breaks (None: a checkpoint-only problem)
    kind: str                    # changed | missing | out_of_order | inserted | checkpoint
    detail: str


@dataclass(frozen=True)
class Report:
    records: int
    checkpoints: int
    first_break: Break | None
    unsealed_from: int | None    # records after the last checkpoint (chained, not yet signed)

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify(records: list[dict], checkpoints: list[dict], public_raw: bytes, *, first_seq: int = 1,
           prev_hash: str = GENESIS, head: tuple[int, str] | None = None) -> Report:
    """Verify ``records`` (ascending seq from ``first_seq``, whose predecessor hashed to ``prev_hash``)
    and the ``checkpoints`` covering them; ``head`` is the (seq, hash) the writer last appended, which
    the trail must end on."""
    key = Ed25519PublicKey.from_public_bytes(public_raw)
    problem = _chain(records, first_seq, prev_hash)
    linked = verify_checkpoint_links(checkpoints)
    if linked and (problem is None or _earlier(linked, problem)):
        problem = linked
    by_seq = {r["seq"]: r for r in records}
    for cp in checkpoints:
        # A checkpoint that starts after a break already found cannot reveal an earlier one.
        if problem is not None and problem.seq is not None and cp["first_seq"] > problem.seq:
            break
        found = _checkpoint(cp, by_seq, key, public_raw)
        if found and (problem is None or _earlier(found, problem)):
            problem = found
    sealed_to = max((cp["last_seq"] for cp in checkpoints), default=first_seq - 1)
    last = records[-1]["seq"] if records else first_seq - 1
    if problem is None and head is not None and (last, records[-1]["record_hash"] if records else prev_hash) != head:
        # Records cut from the end leave a chain that is whole but shorter than the one written.
        problem = Break(last + 1, "missing", f"the trail ends at record {last}, but record {head[0]} was written "
                                             "(records deleted from the end)")
    return Report(len(records), len(checkpoints), problem, sealed_to + 1 if last > sealed_to else None)


def _earlier(a: Break, b: Break) -> bool:
    return (a.seq if a.seq is not None else 1 << 62) < (b.seq if b.seq is not None else 1 << 62)


def _chain(records: list[dict], expected: int, prev: str) -> Break | None:
    for record in records:
        seq = record["seq"]
        if seq < expected:
            return Break(seq, "inserted" if seq == expected - 1 else "out_of_order",
                         f"record {seq} appears again or out of place after record {expected - 1}")
        if seq > expected:
            return Break(expected, "missing", f"records {expected}…{seq - 1} are missing (deleted?)")
        if record["prev_hash"] != prev:
            return Break(seq, "out_of_order", f"record {seq} does not follow record {seq - 1} "
                                              "(reordered, or a record was inserted before it)")
        if record_hash(record) != record["record_hash"]:
            return Break(seq, "changed", f"record {seq}'s content does not match its hash (changed)")
        prev, expected = record["record_hash"], seq + 1
    return None


def _checkpoint(cp: dict, by_seq: dict[int, dict], key: Ed25519PublicKey, public_raw: bytes) -> Break | None:
    number = cp["number"]
    if cp["key_fingerprint"] != key_fingerprint(public_raw):
        return Break(None, "checkpoint", f"checkpoint {number} was signed by another key")
    try:
        key.verify(bytes.fromhex(cp["signature"]), checkpoint_message(cp))
    except (InvalidSignature, ValueError):
        return Break(cp["first_seq"], "checkpoint", f"checkpoint {number}'s signature does not verify")
    sealed = cp["leaf_hashes"]
    if merkle.root(checkpoint_leaves(cp["prev_signature"], sealed)).hex() != cp["root_hash"]:
        return Break(cp["first_seq"], "checkpoint", f"checkpoint {number}'s sealed hashes do not match its root")
    for offset, expected in enumerate(sealed):
        seq = cp["first_seq"] + offset
        record = by_seq.get(seq)
        if record is None:
            return Break(seq, "missing", f"record {seq}, sealed by checkpoint {number}, is missing")
        if record["record_hash"] != expected:
            return Break(seq, "changed", f"record {seq} differs from what checkpoint {number} sealed "
                                         "(rewritten, reordered or inserted)")
    return None


def verify_checkpoint_links(checkpoints: list[dict]) -> Break | None:
    """Each checkpoint names the previous one's signature ("null" for the first) and continues its range."""
    prev_signature, next_seq = "null", None
    for cp in checkpoints:
        if cp["prev_signature"] != prev_signature:
            return Break(cp["first_seq"], "checkpoint", f"checkpoint {cp['number']} does not follow checkpoint "
                                                        f"{cp['number'] - 1} (a checkpoint is missing or replaced)")
        if next_seq is not None and cp["first_seq"] != next_seq:
            return Break(next_seq, "missing", f"checkpoints skip records {next_seq}…{cp['first_seq'] - 1}")
        prev_signature, next_seq = cp["signature"], cp["last_seq"] + 1
    return None
