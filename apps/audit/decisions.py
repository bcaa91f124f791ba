"""The policy and guardrail decision ledger: each project's guardrail decisions (derived at ingest from
the three telemetry dialects into guardrail_decisions) chained in arrival order into the warehouse's
decision_ledger, and sealed into signed checkpoints of the stream "decisions/<project id>".

The chain head lives in the application database (a row lock orders concurrent seal runs); the
records live in ClickHouse, appended once. A run that crashes between its insert and its commit left
records the head does not know: the next run adopts them (they were chained from this very head)
instead of chaining the same decisions again."""

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

import polars as pl
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from warehouse import get_warehouse

from . import keys, services
from .integrity import chain
from .models import AuditCheckpoint, DecisionHead

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FOREVER = datetime(2200, 1, 1, tzinfo=UTC)      # the ledger is read by seq: its time bounds are all of time
PAGE = 50_000
BATCH = 200_000                                 # decisions per chaining transaction (one atomic insert)

# What a record's hash covers, in the ledger's column order (integers as integers, the rest as text).
FIELDS = ("seq", "decision_id", "project_id", "event_time", "trace_id", "span_id", "source", "service_name",
          "tenant", "user_id", "model", "component_name", "policy_id", "policy_version", "rule_id", "phase",
          "target_subtype", "verdict", "action", "reason", "risk_category", "risk_score", "content_hash",
          "latency_ns", "prev_hash")
LEDGER_COLUMNS = (*FIELDS, "record_hash", "timestamp", "chained_until")


logger = logging.getLogger(__name__)


class LedgerError(RuntimeError):
    """The ledger holds records the chain head cannot account for: refuse to chain or seal past them."""


def stream(project_id: int) -> str:
    return f"decisions/{project_id}"


# -- chaining ----------------------------------------------------------------------------------------


def chain_new(project_id: int, *, now: datetime | None = None, budget_s: float = 40.0) -> int:
    """Chain the project's decisions that arrived since the last run (up to a settle margin, so that
    inserts still in flight are not skipped), a bounded batch per transaction, for at most about
    ``budget_s`` (a backlog drains over the next runs); the number of records appended."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(seconds=settings.AUDIT_DECISION_SETTLE_SECONDS)).replace(
        microsecond=0)
    began, total = time.monotonic(), 0
    while True:
        chained, more = _chain_batch(project_id, cutoff)
        total += chained
        if not more or time.monotonic() - began > budget_s:
            return total


def _chain_batch(project_id: int, cutoff: datetime) -> tuple[int, bool]:
    """One batch (at most BATCH decisions, whole seconds of arrival); whether more are waiting."""
    warehouse = get_warehouse()
    with transaction.atomic():
        head = _locked_head(project_id)
        _adopt_orphans(head)
        arrived, until = _arrived(project_id, head.chained_until, cutoff)
        records = _chained(_unseen(project_id, arrived), head) if arrived.height else arrived
        if records.height:
            warehouse.insert_frame("decision_ledger", records.with_columns(
                pl.lit(until).cast(pl.Datetime("ms", "UTC")).alias("chained_until")).select(LEDGER_COLUMNS))
            head.last_seq, head.last_hash = int(records["seq"][-1]), str(records["record_hash"][-1])
        head.chained_until = max(until, head.chained_until)
        head.save(update_fields=["last_seq", "last_hash", "chained_until"])
    return records.height, until < cutoff


def _arrived(project_id: int, since: datetime, cutoff: datetime) -> tuple[pl.DataFrame, datetime]:
    """Decisions that arrived in [since, cutoff), at most BATCH of them cut at a whole second of
    arrival (so the next batch starts cleanly), and the arrival time the batch reaches."""
    if cutoff <= since:
        return pl.DataFrame(), since
    query = get_warehouse().run_query
    arrived = query("audit.new_decisions", project_id=project_id, start=since, end=cutoff, limit=BATCH + 1)
    if arrived.height <= BATCH:
        return arrived, cutoff
    second = arrived["ingested_at"][BATCH].replace(tzinfo=UTC)
    head = arrived.filter(pl.col("ingested_at") < arrived["ingested_at"][BATCH])
    if head.height:
        return head, second
    # One second of arrivals holds more than a batch: it is taken whole (never split across batches).
    upto = second + timedelta(seconds=1)
    return query("audit.new_decisions", project_id=project_id, start=second, end=upto, limit=2**31), upto


def _locked_head(project_id: int) -> DecisionHead:
    DecisionHead.objects.get_or_create(project_id=project_id,
                                       defaults={"last_hash": chain.GENESIS, "chained_until": EPOCH})
    return DecisionHead.objects.select_for_update().get(project_id=project_id)


def _adopt_orphans(head: DecisionHead) -> None:
    tail = get_warehouse().run_query("audit.ledger_tail", project_id=head.project_id, start=EPOCH, end=FOREVER,
                                     after=head.last_seq)
    if not tail.height:
        return
    seqs = tail["seq"].to_list()
    if seqs != list(range(head.last_seq + 1, head.last_seq + 1 + len(seqs))) or tail["prev_hash"][0] != head.last_hash:
        raise LedgerError(f"decision ledger of project {head.project_id} holds records {seqs[0]}…{seqs[-1]} that "
                          f"do not continue its chain head (seq {head.last_seq}); run `manage.py audit verify`")
    # The arrival watermark stays where it was: the window is read again and what the orphans hold is
    # recognised by decision id, so nothing the crashed run had not inserted is skipped.
    head.last_seq, head.last_hash = seqs[-1], str(tail["record_hash"][-1])


def _unseen(project_id: int, arrived: pl.DataFrame) -> pl.DataFrame:
    """Each decision once: a retried export repeats the same spans (same decision ids)."""
    arrived = arrived.unique(subset="decision_id", keep="first", maintain_order=True)
    if not arrived.height:
        return arrived
    # Python datetimes stop at microseconds: widen the window by one so the last decision is in it.
    times = arrived["ledger_time"].to_list()
    seen = get_warehouse().run_query("audit.chained_ids", project_id=project_id, start=min(times),
                                     end=max(times) + timedelta(microseconds=1), ids=arrived["decision_id"].to_list())
    return arrived.filter(~pl.col("decision_id").is_in(seen["decision_id"].implode())) if seen.height else arrived


def _chained(arrived: pl.DataFrame, head: DecisionHead) -> pl.DataFrame:
    """Number and hash the decisions, each record's hash covering the previous one's."""
    seqs = list(range(head.last_seq + 1, head.last_seq + 1 + arrived.height))
    prevs, hashes, prev = [], [], head.last_hash
    for seq, decision in zip(seqs, arrived.iter_rows(named=True), strict=True):
        record = {name: decision.get(name) for name in FIELDS} | {"seq": seq, "project_id": head.project_id,
                                                                    "prev_hash": prev}
        prevs.append(prev)
        prev = chain.record_hash(record)
        hashes.append(prev)
    return arrived.with_columns(
        pl.Series("seq", seqs, dtype=pl.UInt64), pl.lit(head.project_id, dtype=pl.UInt64).alias("project_id"),
        pl.Series("prev_hash", prevs, dtype=pl.String), pl.Series("record_hash", hashes, dtype=pl.String),
        pl.col("ledger_time").alias("timestamp"))


# -- sealing -----------------------------------------------------------------------------------------


def seal(project_id: int) -> AuditCheckpoint | None:
    """Checkpoint the records chained since the project's last checkpoint (None when nothing is new).
    Decision checkpoints keep only the Merkle root: the hashes it covers are the ledger's own."""
    with transaction.atomic():
        head = _locked_head(project_id)
        last = AuditCheckpoint.objects.filter(stream=stream(project_id)).order_by("-number").first()
        first_seq = last.last_seq + 1 if last else 1
        if head.last_seq < first_seq:
            return None
        hashes = get_warehouse().run_query("audit.ledger_hashes", project_id=project_id, start=EPOCH, end=FOREVER,
                                           first=first_seq, last=head.last_seq)
        if hashes["seq"].to_list() != list(range(first_seq, head.last_seq + 1)):
            raise LedgerError(f"decision ledger of project {project_id} is missing records between {first_seq} and "
                              f"{head.last_seq}: not sealing a broken range; run `manage.py audit verify`")
        return services.sign_checkpoint(stream(project_id), last, first_seq, hashes["record_hash"].to_list(),
                                        keep_leaves=False)


def chain_and_seal_all() -> dict[int, int | None]:
    """Every project with guardrail decisions: chain what arrived, then seal it (the seal task). One
    project's trouble (a ledger that no longer continues its head) does not hold the others up."""
    from apps.core.models import Project

    done: dict[int, int | None] = {}
    for project_id in Project.objects.values_list("pk", flat=True):
        try:
            chain_new(project_id)
            checkpoint = seal(project_id)
        except LedgerError:
            logger.exception("decision ledger not chained or sealed", extra={"project_id": project_id})
            continue
        done[project_id] = checkpoint.number if checkpoint else None
    return done


# -- reading and verifying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionFilter:
    """An auditor's filters over the ledger (empty = any); times are event times, end exclusive."""

    policy: str = ""
    version: str = ""
    rule: str = ""
    verdict: str = ""
    action: str = ""
    phase: str = ""
    tenant: str = ""
    user: str = ""
    model: str = ""
    service: str = ""
    trace: str = ""
    start: datetime = EPOCH
    end: datetime = FOREVER

    def params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("start", "end")}


def records(project_id: int, f: DecisionFilter, *, first: int = 1, last: int = 2**63 - 1, newest_first: bool = False,
            only_matched: bool = True, limit: int = PAGE) -> pl.DataFrame:
    # Only the matching records: the dates bound the scan. All of them: the dates only decide "matched".
    start, end = (f.start, f.end) if only_matched else (EPOCH, FOREVER)
    return get_warehouse().run_query(
        "audit.decisions", project_id=project_id, start=start, end=end, match_start=f.start, match_end=f.end,
        first=first, last=last, only_matched=int(only_matched), newest_first=int(newest_first), limit=limit,
        **f.params())


def iter_records(project_id: int, first: int, last: int, f: DecisionFilter | None = None) -> Iterator[dict]:
    """Records first…last oldest first, each as the dict that was hashed plus its record_hash. With a
    filter, the records it does not match are elided: only their seq and hashes, which keep the chain
    verifiable without showing what the auditor did not ask for."""
    at = first
    while at <= last:
        upto = min(last, at + PAGE - 1)
        page = records(project_id, f or DecisionFilter(), first=at, last=upto, only_matched=False, limit=PAGE)
        for row in page.iter_rows(named=True):
            if f is None or row["matched"]:
                yield {name: row[name] for name in (*FIELDS, "record_hash")}
            else:
                yield {"seq": row["seq"], "prev_hash": row["prev_hash"], "record_hash": row["record_hash"],
                       "elided": True}
        at = upto + 1


def head_seq(project_id: int) -> int:
    return DecisionHead.objects.filter(project_id=project_id).values_list("last_seq", flat=True).first() or 0


def verify(project_id: int, first_seq: int | None = None, last_seq: int | None = None) -> chain.Report:
    """Verify the project's decision chain: all of it, or the checkpoints covering first_seq…last_seq.
    Records expire by retention oldest first; the whole chain is then verified from the first
    checkpoint whose records are all still held, but only if the missing ones are old enough to have
    expired: records gone before their time are reported missing."""
    # The head first, then the checkpoints up to it: a seal running meanwhile is left for next time.
    head = DecisionHead.objects.filter(project_id=project_id).values_list("last_seq", "last_hash").first()
    sealed = AuditCheckpoint.objects.filter(stream=stream(project_id), last_seq__lte=head[0] if head else 0)
    if (head is None or head[0] == 0) and not AuditCheckpoint.objects.filter(stream=stream(project_id)).exists():
        return chain.Report(0, 0, None, None)           # nothing chained yet
    held_from = _expired_before(project_id, sealed)
    checkpoints = [cp.as_checkpoint() for cp in sealed.filter(first_seq__gte=held_from).order_by("number")]
    last = min(last_seq, head[0]) if last_seq is not None and head else last_seq
    chosen, start, end = chain.covering(checkpoints, max(held_from, first_seq or 1), last)
    prev_hash, prev_signature = chain.GENESIS, chosen[0]["prev_signature"] if chosen else "null"
    if held_from == 1 and (first_seq or 1) == 1:
        start, prev_signature = 1, "null"
    elif start > 1:
        # From the middle, the first record's link is taken on trust (its predecessor is outside the
        # range, or expired); every record after it is checked against it.
        first_row = next(iter_records(project_id, start, start), None)
        prev_hash = first_row["prev_hash"] if first_row else chain.GENESIS
    return chain.verify(iter_records(project_id, start, end if end is not None else (head[0] if head else 0)), chosen,
                        keys.public_raw(), first_seq=start, prev_hash=prev_hash, prev_signature=prev_signature,
                        head=tuple(head) if head and last_seq is None else None)


def _expired_before(project_id: int, sealed) -> int:
    """The first record verification can start from: 1, unless the oldest records are gone and every
    checkpoint that sealed them was signed longer ago than the audit retention (less a day's slack)."""
    bounds = get_warehouse().run_query("audit.ledger_bounds", project_id=project_id, start=EPOCH, end=FOREVER)
    held_from = int(bounds["first_seq"][0]) if bounds["records"][0] else 1
    if held_from == 1:
        return 1
    expired_by = (datetime.now(UTC) - timedelta(days=settings.RETENTION_DAYS["audit"] - 1)).isoformat(
        timespec="microseconds").replace("+00:00", "Z")
    gone = sealed.filter(first_seq__lt=held_from)
    return held_from if gone.exists() and not gone.filter(signed_at__gt=expired_by).exists() else 1


def verify_all() -> dict[int, chain.Report]:
    """Verify every project's ledger and keep each result for the auditor page (see tasks)."""
    reports = {}
    for project_id in DecisionHead.objects.values_list("project_id", flat=True):
        reports[project_id] = verify(project_id)
        cache.set(_verified_key(project_id), {"at": services.now(), **services.report_json(reports[project_id])},
                  timeout=None)
    return reports


def last_verification(project_id: int) -> dict:
    """The latest verification of the project's ledger (hourly; one is run if none is known)."""
    known = cache.get(_verified_key(project_id))
    if known is None:
        report = verify(project_id)
        known = {"at": services.now(), **services.report_json(report)}
        cache.set(_verified_key(project_id), known, timeout=None)
    return known


def _verified_key(project_id: int) -> str:
    return f"audit:decisions-verification:{project_id}"
