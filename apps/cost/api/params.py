"""Query parameters of the cost API and pages: day ranges, report grouping, output formats."""

from datetime import UTC, date, datetime, timedelta

from apps.cost.selectors import PERIODS, REPORT_DIMENSIONS
from apps.telemetry.query import QueryError, parse_choice, parse_day

MAX_DAYS = 400
FORMATS = ("json", "csv", "parquet")


def parse_days(params, today: date | None = None) -> tuple[date, date]:
    """``start`` and ``end`` as YYYY-MM-DD, end exclusive; by default the month so far."""
    today = today or datetime.now(UTC).date()
    start = parse_day(params.get("start", ""), "start") or today.replace(day=1)
    end = parse_day(params.get("end", ""), "end") or today + timedelta(days=1)
    if start >= end:
        raise QueryError("start must be before end (end is exclusive)")
    if (end - start).days > MAX_DAYS:
        raise QueryError(f"a report may span at most {MAX_DAYS} days")
    return start, end


def parse_group_by(params, default: tuple[str, ...] = ("model",)) -> list[str]:
    values = [v for v in params.getlist("group_by") if v] or list(default)
    unknown = [v for v in values if v not in REPORT_DIMENSIONS]
    if unknown:
        raise QueryError(f"group_by must be among {', '.join(REPORT_DIMENSIONS)}, got {unknown[0][:40]!r}")
    return list(dict.fromkeys(values))


def parse_period(params) -> str:
    return parse_choice(params, "period", PERIODS, "all")


def parse_format(params, default: str = "json") -> str:
    # Not "format": DRF reads that one to pick a renderer.
    return parse_choice(params, "output", FORMATS, default)


def day_window(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, datetime.min.time(), tzinfo=UTC), datetime.combine(end, datetime.min.time(), tzinfo=UTC)
