"""Sealing the coarse rollups (schema 0015): once an hour has settled, its per-minute rollup rows are
merged into the hourly rollup per dimension value, and whole six-hour blocks of sealed hours into the
six-hourly one. A periodic task calls ``seal``; the ingest path never pays for these tiers.

``rollup_seals`` records how far each tier is sealed. Queries read a tier only below its seal and
the per-minute rollup above it, so a long window is always complete up to the last minute. Spans
arriving more than ``SETTLE`` after their hour ended are in the per-minute rollup but not in the
sealed tiers (the price of keeping the ingest path untouched).

A crash between a chunk's insert and its seal record is recovered by looking: a chunk whose rows are
already there is recorded as sealed, not inserted again. Each chunk stays within one month (one
partition), so its insert lands whole or not at all. One sealer at a time (the caller holds a lock).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SETTLE = timedelta(hours=1)           # an hour is sealed this long after it ended (late spans)
HOUR, SIX_HOURS = timedelta(hours=1), timedelta(hours=6)
MAX_CHUNKS = 16                       # per call: a first seal of a long history proceeds call by call
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


HOURLY = Tier("1h", "span_rollup_1h_dims", "span_rollup_1m", "minute", HOUR, timedelta(days=1), "seal_hours.sql")
SIX_HOURLY = Tier("6h", "span_rollup_6h_dims", "span_rollup_1h_dims", "hour", SIX_HOURS, timedelta(days=7),
                  "seal_six_hours.sql")


def sealed_until(warehouse) -> dict[str, datetime]:
    """How far each tier is sealed (absent: nothing yet)."""
    frame = warehouse.admin_query("SELECT toString(tier) AS tier, toUnixTimestamp(max(sealed_until)) AS until "
                                  "FROM rollup_seals GROUP BY tier")
    return {row["tier"]: datetime.fromtimestamp(row["until"], UTC) for row in frame.iter_rows(named=True)}


def seal(warehouse, now: datetime) -> dict[str, datetime]:
    """Seal every settled hour, then every six-hour block of sealed hours; how far each tier now is."""
    hours_to = _floor(now - SETTLE, HOUR)
    hourly = _seal_tier(warehouse, HOURLY, hours_to)
    if hourly is not None:
        _seal_tier(warehouse, SIX_HOURLY, _floor(hourly, SIX_HOURS))
    return sealed_until(warehouse)


def _seal_tier(warehouse, tier: Tier, target: datetime) -> datetime | None:
    done = sealed_until(warehouse).get(tier.name) or _first(warehouse, tier)
    if done is None:
        return None
    for _ in range(MAX_CHUNKS):
        if done >= target:
            break
        end = min(done + tier.chunk, _next_month(done), target)
        if not _holds(warehouse, tier.table, done, end):
            warehouse.command((SQL / tier.sql).read_text(), {"from": done, "to": end})
        warehouse.command("INSERT INTO rollup_seals (tier, sealed_until, sealed_at) VALUES "
                          "({tier:String}, {until:DateTime64(6, 'UTC')}, now64(3))", {"tier": tier.name, "until": end})
        done = end
    return done


def _first(warehouse, tier: Tier) -> datetime | None:
    """Where sealing starts: the first block of the source's data (None while there is none)."""
    frame = warehouse.admin_query(f"SELECT toUnixTimestamp(min({tier.source_time})) AS first, count() AS n "
                                  f"FROM {tier.source}")
    if not frame["n"][0]:
        return None
    return _floor(datetime.fromtimestamp(frame["first"][0], UTC), tier.block)


def _holds(warehouse, table: str, start: datetime, end: datetime) -> bool:
    frame = warehouse.admin_query(f"SELECT count() AS n FROM {table} WHERE hour >= {{from:DateTime64(6, 'UTC')}} "
                                  f"AND hour < {{to:DateTime64(6, 'UTC')}}", {"from": start, "to": end})
    return bool(frame["n"][0])


def _floor(moment: datetime, block: timedelta) -> datetime:
    seconds = int(block.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
