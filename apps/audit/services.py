"""Writing the audit trail, sealing it into signed checkpoints and verifying it."""

import uuid
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction

from . import keys
from .context import Actor, current
from .integrity import chain, merkle
from .models import AuditCheckpoint, AuditHead, AuditRecord


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(action: str, *, project_id: int | None = None, target_type: str = "", target_id: object = "",
           outcome: str = AuditRecord.Outcome.SUCCESS, reason: str = "", details: dict | None = None,
           actor: Actor | None = None) -> AuditRecord:
    """Append one record (who, what, when in UTC, from where, outcome) to the chain."""
    who = actor or current.get()
    # Appenders queue on the chain head: its row lock on PostgreSQL; on SQLite the IMMEDIATE
    # transaction already holds the database's write lock (inside a caller's transaction too).
    with transaction.atomic():
        head = _locked_head()
        fields = {"seq": head.last_seq + 1, "event_id": uuid.uuid4().hex, "event_time": now(),
                  "project_id": project_id, "actor_type": who.type, "actor_id": who.id, "actor_name": who.name[:150],
                  "action": action, "target_type": target_type, "target_id": str(target_id)[:128],
                  "outcome": outcome, "reason": reason[:300], "source_ip": who.ip, "user_agent": who.user_agent[:300],
                  "details": details or {}, "prev_hash": head.last_hash}
        fields["record_hash"] = chain.record_hash({**fields, "record_hash": ""})
        entry = AuditRecord.objects.create(**fields)
        head.last_seq, head.last_hash = entry.seq, entry.record_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


def seal() -> AuditCheckpoint | None:
    """Checkpoint the records since the last checkpoint: a Merkle root over the previous signature and
    their hashes, signed. None when nothing is new."""
    with transaction.atomic():
        _locked_head()
        last = AuditCheckpoint.objects.filter(stream=chain.STREAM).order_by("-number").first()
        first_seq = last.last_seq + 1 if last else 1
        hashes = list(AuditRecord.objects.filter(seq__gte=first_seq).order_by("seq")
                      .values_list("record_hash", flat=True))
        if not hashes:
            return None
        return sign_checkpoint(chain.STREAM, last, first_seq, hashes, keep_leaves=True)


def sign_checkpoint(stream: str, last: AuditCheckpoint | None, first_seq: int, hashes: list[str], *,
                    keep_leaves: bool) -> AuditCheckpoint:
    """The next checkpoint of ``stream`` after ``last``: the Merkle root over the previous signature
    ("null" for the first) and ``hashes`` (records first_seq…), signed with this installation's key."""
    prev_signature = last.signature if last else "null"
    cp = {"stream": stream, "number": (last.number + 1) if last else 1, "first_seq": first_seq,
          "last_seq": first_seq + len(hashes) - 1, "leaf_hashes": hashes if keep_leaves else [],
          "root_hash": merkle.root(chain.checkpoint_leaves(prev_signature, hashes)).hex(),
          "prev_signature": prev_signature, "signed_at": now(), "key_fingerprint": keys.fingerprint()}
    cp["signature"] = keys.signing_key().sign(chain.checkpoint_message(cp)).hex()
    return AuditCheckpoint.objects.create(**cp)


def _locked_head() -> AuditHead:
    """The chain head, locked. The migration creates it; should the table ever be emptied (a test
    database flush), it is recreated once (get_or_create settles a race on its primary key)."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": chain.GENESIS})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def head_seq() -> int:
    return AuditHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0


def verify_all() -> chain.Report:
    """Verify the whole trail with this installation's public key, up to the head last written."""
    report = verify_range(1)
    cache.set(VERIFIED_KEY, {"at": now(), **report_json(report)}, timeout=None)
    return report


def verify_range(first_seq: int, last_seq: int | None = None) -> chain.Report:
    """Verify records first_seq…last_seq (None: to the head) with the checkpoints sealing them,
    reading the trail a page at a time. From record 1, the first checkpoint must be checkpoint 1
    (previous signature "null"): nothing at the start may go missing unnoticed."""
    # The head first: whatever is appended while this runs lies beyond it and is left for next time.
    head = AuditHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first() or (0, chain.GENESIS)
    checkpoints = [c.as_checkpoint() for c in AuditCheckpoint.objects.filter(
        stream=chain.STREAM, last_seq__lte=head[0]).order_by("number")]
    last = min(last_seq, head[0]) if last_seq is not None else None
    chosen, start, end = chain.covering(checkpoints, first_seq, last)
    prev_hash, prev_signature = chain.GENESIS, chosen[0]["prev_signature"] if chosen else "null"
    if first_seq == 1:
        start, prev_signature = 1, "null"
    elif start > 1:
        # From the middle, the first record's link is taken on trust; every later one is checked.
        prev_hash = AuditRecord.objects.filter(seq=start).values_list("prev_hash", flat=True).first() or chain.GENESIS
    rows = AuditRecord.objects.filter(seq__gte=start, seq__lte=end if end is not None else head[0]).order_by("seq")
    return chain.verify((r.as_record() for r in rows.iterator(chunk_size=2000)), chosen, keys.public_raw(),
                        first_seq=start, prev_hash=prev_hash, prev_signature=prev_signature,
                        head=tuple(head) if last_seq is None else None)


VERIFIED_KEY = "audit:last-verification"


def report_json(report: chain.Report) -> dict:
    broken = report.first_break
    return {"ok": report.ok, "records": report.records, "checkpoints": report.checkpoints,
            "unsealed_from": report.unsealed_from,
            "first_break": {"seq": broken.seq, "kind": broken.kind, "detail": broken.detail} if broken else None}


def last_verification() -> dict:
    """The latest verification (the seal task verifies after sealing); one is run if none is known."""
    known = cache.get(VERIFIED_KEY)
    if known is None:
        verify_all()
        known = cache.get(VERIFIED_KEY)
    return known
