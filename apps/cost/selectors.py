"""Reads of cost figures: reports from the daily rollups, per-trace costs and version history from
the ledger. Amounts come back as exact ``Decimal``s."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from apps.core.models import Project
from warehouse import get_warehouse

from .pricing import money

REPORT_DIMENSIONS = {"tenant": "by_tenant", "provider": "by_provider", "model": "by_model",
                     "endpoint": "by_endpoint", "service_name": "by_service", "kind": "by_kind",
                     "method": "by_method"}
PERIODS = ("all", "day", "month")
MONEY_FIELDS = ("total_cost", "input_cost", "output_cost", "error_cost", "retry_cost", "blocked_cost")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def cost_report(project: Project, start_day: date, end_day: date, group_by: list[str], *, period: str = "all",
                tenants: list[str] | None = None, models: list[str] | None = None,
                providers: list[str] | None = None, limit: int = 10_000) -> list[dict]:
    """Cost and usage for days [start_day, end_day) grouped by ``group_by`` (REPORT_DIMENSIONS) and
    ``period``, with the derived unit costs finance asks for."""
    flags = {flag: int(name in group_by) for name, flag in REPORT_DIMENSIONS.items()}
    whole_months = start_day.day == 1 and end_day.day == 1 and period != "day" and \
        not {"endpoint", "service_name"} & set(group_by)
    if whole_months:
        del flags["by_endpoint"], flags["by_service"]
    frame = get_warehouse().run_query(
        "cost.report_monthly" if whole_months else "cost.report", project_id=project.pk, start=day_start(start_day), end=day_start(end_day), period=period,
        tenants=tenants or [], models=models or [], providers=providers or [], limit=limit, **flags)
    return [_derived(row, group_by, period) for row in frame.to_dicts()]


def _derived(row: dict, group_by: list[str], period: str) -> dict:
    out = {name: row[name] for name in group_by if name in REPORT_DIMENSIONS}
    if period != "all":
        out["period"] = row["period"]
    for key in ("requests", "errors", "unpriced_requests", "input_tokens", "output_tokens", "cache_read_tokens",
                "cache_write_tokens", "reasoning_tokens"):
        out[key] = int(row[key])
    out["gpu_hours"] = round(float(row["gpu_seconds"]) / 3600, 6)
    for key in MONEY_FIELDS:
        out[key] = money(row[key] or 0)
    tokens = out["input_tokens"] + out["output_tokens"]
    out["cost_per_request"] = _ratio(out["total_cost"], out["requests"])
    out["cost_per_mtok"] = _ratio(out["total_cost"] * 1_000_000, tokens)
    out["cost_per_m_input"] = _ratio(out["input_cost"] * 1_000_000, out["input_tokens"])
    out["cost_per_m_output"] = _ratio(out["output_cost"] * 1_000_000, out["output_tokens"])
    for key in ("error_cost", "retry_cost", "blocked_cost"):
        out[key.replace("_cost", "_share")] = _ratio(out[key], out["total_cost"])
    return out


def _ratio(numerator: Decimal, denominator) -> Decimal | None:
    return money(numerator / denominator) if denominator else None


def dimension_report(project: Project, dimension: str, start_day: date, end_day: date, *, by_model: bool = False,
                     period: str = "all", limit: int = 10_000) -> list[dict]:
    frame = get_warehouse().run_query(
        "cost.dimension_report", project_id=project.pk, start=day_start(start_day), end=day_start(end_day),
        dimension=dimension, by_model=int(by_model), period=period, limit=limit)
    rows = []
    for row in frame.to_dicts():
        item = {"value": row["value"], "requests": int(row["requests"]), "input_tokens": int(row["input_tokens"]),
                "output_tokens": int(row["output_tokens"]), "total_cost": money(row["total_cost"] or 0)}
        if by_model:
            item["model"] = row["model"]
        if period != "all":
            item["period"] = row["period"]
        item["cost_per_request"] = _ratio(item["total_cost"], item["requests"])
        rows.append(item)
    return rows


def ledger_versions(project: Project, start: datetime, end: datetime) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """(price version, +1 posted / −1 reversed) → (rows, amount) for the ledger of [start, end)."""
    frame = get_warehouse().run_query("cost.ledger_versions", project_id=project.pk, start=start, end=end)
    return {(int(r["price_version"]), int(r["sign"])): (int(r["rows"]), money(r["total_cost"]))
            for r in frame.to_dicts()}


def trace_costs(project: Project | int, start: datetime, end: datetime, trace_ids: list[str] | None = None
                ) -> dict[str, Decimal]:
    """Net cost per trace (hex id). GPU-time lines sit at the minute they cover, so the window is
    widened by a minute each side."""
    project_id = project if isinstance(project, int) else project.pk
    frame = get_warehouse().run_query("cost.trace_costs", project_id=project_id, start=start - timedelta(minutes=1),
                                      end=end + timedelta(minutes=1), trace_ids=trace_ids or [])
    return {r["trace_hex"]: money(r["total_cost"]) for r in frame.to_dicts()}


def agent_runs(project: Project, start: datetime, end: datetime) -> list[dict]:
    """Cost per agent run (whole trace) by root operation."""
    frame = get_warehouse().run_query("cost.agent_runs", project_id=project.pk, start=start, end=end)
    return [{"agent": r["agent"], "runs": int(r["runs"]), "llm_calls": int(r["llm_calls"]),
             "total_cost": money(r["total_cost"]), "mean_cost": money(r["total_cost"] / r["runs"]),
             "p50_cost": r["p50_cost"], "p95_cost": r["p95_cost"]} for r in frame.to_dicts()]


def ledger_pages(project: Project, start: datetime, end: datetime, page: int = 20_000):
    """Every ledger row of [start, end), a page (polars frame) at a time, in a stable order."""
    cursor: dict = {"has_cursor": 0, "after_ns": 0, "after_line": 0, "after_posting": 0, "after_sign": 0}
    warehouse = get_warehouse()
    while True:
        frame = warehouse.run_query("cost.ledger_lines", project_id=project.pk, start=start, end=end,
                                    limit=page, **cursor)
        if frame.height or cursor["has_cursor"] == 0:
            yield frame.drop("ts_ns")   # the first page even when empty: it carries the columns
        if frame.height < page:
            return
        # The cursor is the whole-nanosecond time: a Python datetime would drop the last three digits
        # and the next page would repeat rows.
        last = frame.row(-1, named=True)
        cursor = {"has_cursor": 1, "after_ns": last["ts_ns"], "after_line": last["line_key"],
                  "after_posting": last["posting"], "after_sign": last["sign"]}


def cost_buckets(project_id: int, start: datetime, end: datetime, step_s: int, group_by: str,
                 filters: dict[str, list[str]]) -> list[dict]:
    """Cost per bucket and group (bucket, grp, total_cost): from the hourly rollup when buckets are
    an hour or more, from the ledger for finer ones."""
    name = "cost.hourly_cost" if step_s >= 3600 and step_s % 3600 == 0 else "cost.ledger_cost_buckets"
    frame = get_warehouse().run_query(name, project_id=project_id, start=start, end=end, step_s=step_s,
                                      group_by=group_by, **filters)
    return [{**row, "total_cost": money(row["total_cost"])} for row in frame.to_dicts()]


def span_costs(project_id: int, trace_id: str, start: datetime, end: datetime) -> dict[str, dict]:
    """span id (hex) → cost, method, price_ref and price_version, for one trace."""
    frame = get_warehouse().run_query("cost.span_costs", project_id=project_id, start=start - timedelta(minutes=1),
                                      end=end + timedelta(minutes=1), trace_id=trace_id)
    return {r["span_id"]: {**r, "total_cost": money(r["total_cost"])} for r in frame.to_dicts()}
