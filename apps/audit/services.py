"""Writing the audit trail, sealing it into signed checkpoints and verifying it."""

import threading
import uuid
from datetime import UTC, datetime

from django.db import transaction

from . import chain, keys, merkle
from .context import Actor, current
from .models import AuditCheckpoint, AuditHead, AuditRecord

# One appender at a time in this process (SQLite ignores row locks); the row lock orders processes.
_append = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(action: str, *, project_id: int | None = None, target_type: str = "", target_id: object = "",
           outcome: str = AuditRecord.Outcome.SUCCESS, reason: str = "", details: dict | None = None,
           actor: Actor | None = None) -> AuditRecord:
    """Append one record (who, what, when in UTC, from where, outcome) to the chain."""
    who = actor or current.get()
    with _append, transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first() or \
            AuditHead.objects.create(pk=1, last_seq=0, last_hash=chain.GENESIS)
        fields = {"seq": head.last_seq + 1, "event_id": uuid.uuid4().hex, "event_time": _now(),
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
    with _append, transaction.atomic():
        AuditHead.objects.select_for_update().filter(pk=1).first()
        last = AuditCheckpoint.objects.order_by("-number").first()
        first_seq = last.last_seq + 1 if last else 1
        hashes = list(AuditRecord.objects.filter(seq__gte=first_seq).order_by("seq")
                      .values_list("record_hash", flat=True))
        if not hashes:
            return None
        prev_signature = last.signature if last else "null"
        cp = {"stream": chain.STREAM, "number": (last.number + 1) if last else 1, "first_seq": first_seq,
              "last_seq": first_seq + len(hashes) - 1, "leaf_hashes": hashes,
              "root_hash": merkle.root(chain.checkpoint_leaves(prev_signature, hashes)).hex(),
              "prev_signature": prev_signature, "signed_at": _now(), "key_fingerprint": keys.fingerprint()}
        cp["signature"] = keys.signing_key().sign(chain.checkpoint_message(cp)).hex()
        return AuditCheckpoint.objects.create(**cp)


def verify_all() -> chain.Report:
    """Verify the whole trail with this installation's public key."""
    records = [r.as_record() for r in AuditRecord.objects.order_by("seq").iterator()]
    checkpoints = [c.as_checkpoint() for c in AuditCheckpoint.objects.order_by("number")]
    return chain.verify(records, checkpoints, keys.public_raw())
