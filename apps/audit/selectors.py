"""Reading the audit trail for auditors: one project's records, filtered, newest first, a page at a time."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from .models import AuditRecord

OUTCOMES = ("success", "failure", "deny")


@dataclass(frozen=True)
class RecordFilter:
    action: str = ""             # prefix, e.g. "cost." or "trace.read"
    actor: str = ""              # user name or key label, exact
    outcome: str = ""
    target: str = ""             # target id, exact
    start: date | None = None    # UTC days, end exclusive
    end: date | None = None


def project_records(project_id: int | None, f: RecordFilter) -> QuerySet[AuditRecord]:
    """One project's records, or (None) the instance's: those of no project (sign-ins, user accounts)."""
    records = AuditRecord.objects.filter(project_id=project_id) if project_id is not None else \
        AuditRecord.objects.filter(project_id__isnull=True)
    if f.action:
        records = records.filter(action__startswith=f.action)
    if f.actor:
        records = records.filter(actor_name=f.actor)
    if f.outcome:
        records = records.filter(outcome=f.outcome)
    if f.target:
        records = records.filter(target_id=f.target)
    if f.start:
        records = records.filter(event_time__gte=f.start.isoformat())
    if f.end:
        records = records.filter(event_time__lt=f.end.isoformat())
    return records.order_by("-seq")


def page(records: QuerySet[AuditRecord], before_seq: int | None, size: int) -> tuple[list[AuditRecord], int | None]:
    """Keyset page (newest first) and the cursor of the next one."""
    rows = list((records.filter(seq__lt=before_seq) if before_seq else records)[:size + 1])
    return rows[:size], (rows[size - 1].seq if len(rows) > size else None)
