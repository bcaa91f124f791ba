"""Reads for the dashboards: rollups for the overview, metric points for the GPU fleet."""

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from apps.cost import selectors as cost_selectors
from apps.slo.sli import LLM_OPERATIONS
from apps.telemetry.query import DIMENSIONS, Filters, Window
from warehouse import get_warehouse, rollups

from . import charts, compute


def overview_frame(project_id: int, window: Window, filters: Filters, *, group_by: str, scope: str) -> pl.DataFrame:
    """Per bucket and group (``whole_window`` 0) and per group over the window (``whole_window`` 1)."""
    common: dict[str, Any] = {"project_id": project_id, "start": window.start, "end": window.end,
                              "step_s": window.step_s(), "group_by": group_by, "scope": scope,
                              "llm_operations": list(LLM_OPERATIONS)}
    dimension = hourly_dimension(window, filters, group_by)
    warehouse = get_warehouse()
    if dimension is None:
        return warehouse.run_query("dashboards.overview", **common, **dict[str, Any](filters.as_params()))
    return warehouse.run_query("dashboards.overview_hourly", **common, dimension=dimension or "*",
                               values=filters.get(dimension) if dimension else [],
                               **tier_ranges(window, rollups.sealed_until(warehouse)))


def tier_ranges(window: Window, sealed: dict[str, datetime]) -> dict[str, Any]:
    """Which part of the window each tier answers, nested: six-hour blocks [six_from, six_to) inside
    three-hour blocks [three_from, three_to) inside whole hours [hours_from, hours_to), minutes for the
    rest. A tier answers only as far as it is sealed, and only when the buckets are whole multiples of
    its blocks (otherwise its range is empty, at the end of the tier around it)."""
    hours_from, hours_to = whole_blocks(window.start, window.end, rollups.HOUR)
    hours_to = max(min(hours_to, sealed.get(rollups.HOURLY.name, hours_from)), hours_from)
    ranges = {"hours_from": hours_from, "hours_to": hours_to}
    outer_from, outer_to = hours_from, hours_to
    for prefix, tier in (("three", rollups.THREE_HOURLY), ("six", rollups.SIX_HOURLY)):
        first, last = whole_blocks(outer_from, outer_to, tier.block)
        first = min(first, outer_to)
        last = max(min(last, outer_to, sealed.get(tier.name, first)), first)
        if window.step_s() % tier.block.total_seconds():
            first = last = outer_to
        ranges |= {f"{prefix}_from": first, f"{prefix}_to": last}
        outer_from, outer_to = first, last
    return ranges


def whole_blocks(start: datetime, end: datetime, block: timedelta) -> tuple[datetime, datetime]:
    """The whole blocks (aligned to the epoch, as the sealed rollups are) inside [start, end)."""
    seconds = int(block.total_seconds())
    first = -(-int(start.timestamp()) // seconds) * seconds
    last = max(int(end.timestamp()) // seconds * seconds, first)
    return datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC)


def hourly_dimension(window: Window, filters: Filters, group_by: str) -> str | None:
    """The dimension whose hourly rollup answers this overview ('' for the whole project), or None when
    the minute rollup must: buckets shorter than an hour, or filters on another dimension than the one
    grouped by (the hourly rollup holds one dimension at a time)."""
    if window.step_s() % rollups.HOUR.total_seconds():
        return None
    filtered = {d for d in DIMENSIONS if filters.get(d)}
    wanted = filtered | ({group_by} if group_by else set())
    return None if len(wanted) > 1 else next(iter(wanted), "")


def dimension_values(project_id: int, start: datetime, end: datetime, per_dimension: int = 50) -> dict[str, list[str]]:
    frame = get_warehouse().run_query("dashboards.dimension_values", project_id=project_id, start=start, end=end,
                                      per_dimension=per_dimension)
    if frame.is_empty():
        return {}
    row = frame.row(0, named=True)
    return {d: values for d, values in zip(row["dimension"], row["dimension_values"], strict=True) if values}


def gpu_fleet_frame(project_id: int, window: Window, hosts: list[str]) -> pl.DataFrame:
    return get_warehouse().run_query("dashboards.gpu_fleet", project_id=project_id, start=window.start,
                                     end=window.end, step_s=window.step_s(), hosts=hosts)


def spans_on_gpu(project_id: int, window: Window, host: str, gpu: str, *, limit: int = 50,
                 cursor: tuple[int, str] | None = None) -> pl.DataFrame:
    after = cursor or (0, "")
    return get_warehouse().run_query(
        "dashboards.spans_on_gpu", project_id=project_id, start=window.start, end=window.end, host=host, gpu=gpu,
        has_cursor=cursor is not None, after_duration_ns=after[0], after_span=after[1], limit=limit)


def overview(project_id: int, window: Window, filters: Filters, *, group_by: str, scope: str) -> dict:
    """The overview dashboard: totals, a row per group, series and their figures."""
    frame = overview_frame(project_id, window, filters, group_by=group_by, scope=scope)
    result = compute.overview(frame, window.start, window.end, window.step_s())
    costs = cost_selectors.cost_buckets(project_id, window.start, window.end, window.step_s(), group_by,
                                        filters.as_params())
    result = compute.with_cost(result, costs, window.start, window.end, window.step_s())
    return {**result, "figures": charts.overview_figures(result, scope)}


def gpu_fleet(project_id: int, window: Window, hosts: list[str]) -> dict:
    """The GPU fleet: a row per GPU and per inference server (latest values), series and figures."""
    frame = gpu_fleet_frame(project_id, window, hosts)
    if frame.is_empty():
        return {"gpus": [], "servers": [], "figures": {}}
    gpus = compute.gpu_series(frame, window.step_s())
    servers = compute.server_series(frame)
    return {
        "gpus": compute.latest_table(gpus, ["host", "gpu_id", "gpu_model"]),
        "servers": compute.latest_table(servers, ["host", "pod", "model_name"]),
        "figures": charts.fleet_figures(gpus, servers),
    }
