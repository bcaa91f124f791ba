"""The audit trail's integrity, as pure functions: each record's hash covers its canonical content and
the previous record's hash (a chain); checkpoints seal a range of records with an RFC 6962 Merkle
root over the previous checkpoint's signature and the records' hashes, signed with Ed25519 (the first
checkpoint's previous signature is the string "null", as in CloudTrail's digests).

``verify`` walks records and checkpoints and reports the first place where the trail breaks: a changed
record, a missing one (a gap is reported, never bridged), records out of order or inserted, or a
checkpoint whose root or signature does not hold."""

import hashlib
from collections.abc import Iterable
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


def covering(checkpoints: list[dict], first: int, last: int | None = None) -> tuple[list[dict], int, int | None]:
    """What verifying records first…last (``last`` None: to the end) takes: the checkpoints sealing any
    of them, and the records to read — from the first such checkpoint's start to the last one's end,
    or to ``last`` when that is later (records chained but not yet sealed)."""
    chosen = [cp for cp in checkpoints if cp["last_seq"] >= first and (last is None or cp["first_seq"] <= last)]
    start = chosen[0]["first_seq"] if chosen else first
    if last is None:
        return chosen, start, None
    return chosen, start, max(last, chosen[-1]["last_seq"]) if chosen else last


def verify(records: Iterable[dict], checkpoints: list[dict], public_raw: bytes, *, first_seq: int = 1,
           prev_hash: str = GENESIS, prev_signature: str = "null", head: tuple[int, str] | None = None) -> Report:
    """Verify ``records`` (ascending seq from ``first_seq``, whose predecessor hashed to ``prev_hash``)
    and the ``checkpoints`` covering them (the first follows the checkpoint signed ``prev_signature``);
    ``head`` is the (seq, hash) the writer last appended, which the trail must end on.

    Records are read once, in order, and only one checkpoint's hashes are held at a time, so a chain of
    millions verifies from a stream. A record marked ``elided`` (an export leaves out what the auditor
    did not ask for) carries only its seq and hashes: it keeps the chain whole, its content is not checked.
    A checkpoint either lists the hashes it sealed (each record is compared as it goes by) or holds
    only their root (the range's root is compared when its last record has gone by)."""
    walk = _Walk(checkpoints, first_seq, prev_hash)
    walk.report(verify_checkpoint_links(checkpoints, prev_signature, first_seq))
    key, fingerprint = Ed25519PublicKey.from_public_bytes(public_raw), key_fingerprint(public_raw)
    for cp in checkpoints:      # every signature, whether or not its records are among those given
        forged = _signed(cp, key, fingerprint)
        if forged is not None:
            walk.report(forged)
            break
    for record in records:
        if walk.step(record):
            break
    walk.finish(head)
    sealed_to = max((cp["last_seq"] for cp in checkpoints), default=first_seq - 1)
    last = walk.expected - 1
    return Report(walk.count, len(checkpoints), walk.problem, sealed_to + 1 if last > sealed_to else None)


class _Walk:
    """One pass over the records, checking the chain and each checkpoint as its range goes by."""

    def __init__(self, checkpoints: list[dict], first_seq: int, prev_hash: str):
        self.pending = list(checkpoints)
        self.expected, self.prev, self.count = first_seq, prev_hash, 0
        self.sealing: list[bytes] = []
        self.problem: Break | None = None

    def report(self, found: Break | None) -> bool:
        """Keep the earliest problem; True when the walk can stop (nothing later can be earlier)."""
        if found is not None and (self.problem is None or _earlier(found, self.problem)):
            self.problem = found
        return self.problem is not None and self.problem.seq is not None and self.problem.seq <= self.expected

    def step(self, record: dict) -> bool:
        if self.report(_link(record, self.expected, self.prev)):
            return True
        self.count += 1
        if self.report(self._sealed(record)):
            return True
        self.prev, self.expected = record["record_hash"], record["seq"] + 1
        return self.report(self._checkpoint_closes(record["seq"]))

    def _sealed(self, record: dict) -> Break | None:
        """A record inside the open checkpoint's range must be the one it sealed."""
        if not self.pending or record["seq"] < self.pending[0]["first_seq"]:
            return None
        cp = self.pending[0]
        listed = cp.get("leaf_hashes") or []
        offset = record["seq"] - cp["first_seq"]
        if listed and (offset >= len(listed) or listed[offset] != record["record_hash"]):
            return Break(record["seq"], "changed", f"record {record['seq']} differs from what checkpoint "
                                                   f"{cp['number']} sealed (rewritten, reordered or inserted)")
        self.sealing.append(bytes.fromhex(record["record_hash"]))
        return None

    def _checkpoint_closes(self, seq: int) -> Break | None:
        if not self.pending or self.pending[0]["last_seq"] != seq:
            return None
        cp = self.pending.pop(0)
        leaves, self.sealing = self.sealing, []
        if merkle.root([cp["prev_signature"].encode("ascii")] + leaves).hex() != cp["root_hash"]:
            return Break(cp["first_seq"], "checkpoint", f"records {cp['first_seq']}…{seq} do not match checkpoint "
                                                        f"{cp['number']}'s root (its range was rewritten)")
        return None

    def finish(self, head: tuple[int, str] | None) -> None:
        if self.problem is not None:
            return
        last = self.expected - 1
        if self.pending:
            cp = self.pending[0]
            self.report(Break(last + 1, "missing", f"record {last + 1}, sealed by checkpoint {cp['number']}, "
                                                   "is missing"))
        elif head is not None and (last, self.prev) != head:
            # Records cut from the end leave a chain that is whole but shorter than the one written.
            self.report(Break(last + 1, "missing", f"the trail ends at record {last}, but record {head[0]} was "
                                                   "written (records deleted from the end)"))


def _earlier(a: Break, b: Break) -> bool:
    return (a.seq if a.seq is not None else 1 << 62) < (b.seq if b.seq is not None else 1 << 62)


def _link(record: dict, expected: int, prev: str) -> Break | None:
    seq = record["seq"]
    if seq < expected:
        return Break(seq, "inserted" if seq == expected - 1 else "out_of_order",
                     f"record {seq} appears again or out of place after record {expected - 1}")
    if seq > expected:
        return Break(expected, "missing", f"records {expected}…{seq - 1} are missing (deleted?)")
    if record["prev_hash"] != prev:
        return Break(seq, "out_of_order", f"record {seq} does not follow record {seq - 1} "
                                          "(reordered, or a record was inserted before it)")
    if record.get("elided"):
        if set(record) - ELIDED:
            return Break(seq, "changed", f"record {seq} is marked elided but carries content")
        return None
    if record_hash(record) != record["record_hash"]:
        return Break(seq, "changed", f"record {seq}'s content does not match its hash (changed)")
    return None


ELIDED = frozenset({"seq", "prev_hash", "record_hash", "elided"})


def _signed(cp: dict, key: Ed25519PublicKey, fingerprint: str) -> Break | None:
    number = cp["number"]
    if cp["key_fingerprint"] != fingerprint:
        return Break(cp["first_seq"], "checkpoint", f"checkpoint {number} was signed by another key")
    try:
        key.verify(bytes.fromhex(cp["signature"]), checkpoint_message(cp))
    except (InvalidSignature, ValueError):
        return Break(cp["first_seq"], "checkpoint", f"checkpoint {number}'s signature does not verify")
    return None


def verify_checkpoint_links(checkpoints: list[dict], prev_signature: str = "null",
                            first_seq: int | None = None) -> Break | None:
    """Each checkpoint names the previous one's signature ("null" for the first) and continues its range,
    the first starting where the records do."""
    next_seq = first_seq
    for cp in checkpoints:
        if cp["prev_signature"] != prev_signature:
            return Break(cp["first_seq"], "checkpoint", f"checkpoint {cp['number']} does not follow checkpoint "
                                                        f"{cp['number'] - 1} (a checkpoint is missing or replaced)")
        if next_seq is not None and cp["first_seq"] > next_seq:
            return Break(next_seq, "missing", f"checkpoints skip records {next_seq}…{cp['first_seq'] - 1}")
        if next_seq is not None and cp["first_seq"] < next_seq:
            return Break(cp["first_seq"], "checkpoint", f"checkpoint {cp['number']} starts at record {cp['first_seq']}, "
                                                        f"inside what came before (record {next_seq} comes next)")
        prev_signature, next_seq = cp["signature"], cp["last_seq"] + 1
    return None
