"""Sealing the coarse rollups (schemas 0015, 0017): once an hour has settled, its per-minute rollup rows
are merged into the hourly rollup per dimension value, whole three-hour blocks of sealed hours into the
three-hourly one, and whole six-hour blocks of those into the six-hourly one. A periodic task calls
``seal``; the ingest path never pays for these tiers.

``rollup_seals`` records how far each tier is sealed. Queries read a tier only below its seal and
the per-minute rollup above it, so a long window is always complete up to the last minute. Spans
arriving more than ``SETTLE`` after their hour ended are in the per-minute rollup but not in the
sealed tiers (the price of keeping the ingest path untouched).

A crash between a chunk's insert and its seal record (or in the middle of the insert) is repaired
when the chunk is sealed again: rows the tier already holds in the chunk's range are deleted first,
so nothing counts twice whatever part of the chunk had landed. Empty stretches (a stray span from
years ago) are skipped in one step. One sealer at a time (the caller holds a lock), within a time
budget shorter than the lock.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SETTLE = timedelta(hours=1)           # an hour is sealed this long after it ended (late spans)
HOUR, THREE_HOURS, SIX_HOURS = timedelta(hours=1), timedelta(hours=3), timedelta(hours=6)
MAX_CHUNKS = 16                       # per call: a first seal of a long history proceeds call by call
BUDGET_S = 240                        # per call, well inside the task's lock (600 s) and period (300 s)
SQL = Path(__file__).resolve().parent / "maintenance"


@dataclass(frozen=True)
class Tier:
    name: str
    table: str
    source: str                       # the table it is sealed from, and its time column
    source_time: str
    block: timedelta
    chunk: timedelta
    sql: str

    def statement(self) -> str:
        # The placeholders are this tier's own table names and block size, never user input.
        return ((SQL / self.sql).read_text().replace("{{table}}", self.table).replace("{{source}}", self.source)
                .replace("{{block_hours}}", str(int(self.block.total_seconds()) // 3600)))


HOURLY = Tier("1h", "span_rollup_1h_dims", "span_rollup_1m", "minute", HOUR, timedelta(days=1), "seal_hours.sql")
THREE_HOURLY = Tier("3h", "span_rollup_3h_dims", HOURLY.table, "hour", THREE_HOURS, timedelta(days=7),
                    "seal_blocks.sql")
SIX_HOURLY = Tier("6h", "span_rollup_6h_dims", THREE_HOURLY.table, "hour", SIX_HOURS, timedelta(days=7),
                  "seal_blocks.sql")
TIERS = (HOURLY, THREE_HOURLY, SIX_HOURLY)    # each sealed from the one before it


def sealed_until(warehouse) -> dict[str, datetime]:
    """How far each tier is sealed (absent: nothing yet)."""
    frame = warehouse.admin_query("SELECT toString(tier) AS tier, toUnixTimestamp(max(sealed_until)) AS until "
                                  "FROM rollup_seals GROUP BY tier")
    return {row["tier"]: datetime.fromtimestamp(row["until"], UTC) for row in frame.iter_rows(named=True)}


def seal(warehouse, now: datetime, budget_s: float = BUDGET_S) -> dict[str, datetime]:
    """Seal every settled hour, then every whole block of each coarser tier that the tier below has
    sealed (as far as the time budget goes); how far each tier now is."""
    deadline = time.monotonic() + budget_s
    below: datetime | None = now - SETTLE
    for tier in TIERS:
        if below is None:
            break
        below = _seal_tier(warehouse, tier, _floor(below, tier.block), deadline)
    return sealed_until(warehouse)


def _seal_tier(warehouse, tier: Tier, target: datetime, deadline: float) -> datetime | None:
    done = sealed_until(warehouse).get(tier.name)
    for _ in range(MAX_CHUNKS):
        nxt = _next_data(warehouse, tier, done, target)
        if nxt is None or time.monotonic() > deadline:
            break
        done = max(done or nxt, nxt)          # skip an empty stretch in one step
        end = min(done + tier.chunk, _next_month(done), target)
        if _holds(warehouse, tier.table, done, end):
            # An earlier run stopped between its insert and its seal record: start the chunk afresh.
            warehouse.command(_delete(warehouse, tier.table), {"from": done, "to": end})
        warehouse.command(tier.statement(), {"from": done, "to": end})
        _record(warehouse, tier, end)
        done = end
    if done is not None and done < target and _next_data(warehouse, tier, done, target) is None:
        _record(warehouse, tier, target)      # nothing more before the target: sealed up to it
        done = target
    return done


def _record(warehouse, tier: Tier, until: datetime) -> None:
    warehouse.command("INSERT INTO rollup_seals (tier, sealed_until, sealed_at) VALUES "
                      "({tier:String}, {until:DateTime64(6, 'UTC')}, now64(3))", {"tier": tier.name, "until": until})


def _next_data(warehouse, tier: Tier, done: datetime | None, target: datetime) -> datetime | None:
    """The block of the source's first data at or after ``done`` and before ``target`` (None: none)."""
    frame = warehouse.admin_query(
        f"SELECT toUnixTimestamp(min({tier.source_time})) AS first, count() AS n FROM {tier.source} "
        f"WHERE {tier.source_time} >= {{from:DateTime64(6, 'UTC')}} AND {tier.source_time} < {{to:DateTime64(6, 'UTC')}}",
        {"from": done or datetime(1970, 1, 1, tzinfo=UTC), "to": target})
    if not frame["n"][0]:
        return None
    return _floor(datetime.fromtimestamp(frame["first"][0], UTC), tier.block)


def _holds(warehouse, table: str, start: datetime, end: datetime) -> bool:
    frame = warehouse.admin_query(f"SELECT count() AS n FROM {table} WHERE hour >= {{from:DateTime64(6, 'UTC')}} "
                                  f"AND hour < {{to:DateTime64(6, 'UTC')}}", {"from": start, "to": end})
    return bool(frame["n"][0])


def _delete(warehouse, table: str) -> str:
    """A synchronous delete of the tier's rows in [from, to) (on a cluster, of every shard's local table)."""
    cluster = warehouse.config.cluster
    target = f"{table}_local ON CLUSTER {cluster}" if cluster else table
    return (f"ALTER TABLE {target} DELETE WHERE hour >= {{from:DateTime64(6, 'UTC')}} "
            f"AND hour < {{to:DateTime64(6, 'UTC')}} SETTINGS mutations_sync = 2")


def _floor(moment: datetime, block: timedelta) -> datetime:
    seconds = int(block.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
