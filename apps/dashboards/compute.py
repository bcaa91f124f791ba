"""Pure frame arithmetic for the dashboards: rates, ratios and quantile picks from rollup rows."""

from datetime import datetime, timedelta

import polars as pl

QUANTILES = {"p50": 0, "p90": 1, "p95": 2, "p99": 3}  # positions in the rollups' quantile arrays
MAX_GROUPS = 8
ALL = "(all)"  # the all-groups series; parentheses keep it apart from a group named "all"


def _q(column: str, name: str) -> pl.Expr:
    return pl.col(column).list.get(QUANTILES[name], null_on_oob=True).cast(pl.Float64)


def with_measures(frame: pl.DataFrame, seconds: float | pl.Expr) -> pl.DataFrame:
    """Add per-second rates, the error ratio and quantile columns (NaN quantiles of empty states → null)."""
    seconds = seconds if isinstance(seconds, pl.Expr) else pl.lit(seconds)
    measures = [
        (pl.col("requests") / seconds).alias("requests_per_s"),
        pl.when(pl.col("requests") > 0).then(pl.col("errors") / pl.col("requests") * 100).alias("error_pct"),
        ((pl.col("input_tokens") + pl.col("output_tokens")) / seconds).alias("tokens_per_s"),
        (pl.col("output_tokens") / seconds).alias("output_tokens_per_s"),
        *[_q("duration_ms", q).alias(f"duration_{q}_ms") for q in ("p50", "p95", "p99")],
        *[_q("ttft_ms", q).alias(f"ttft_{q}_ms") for q in ("p50", "p95")],
        *[_q("tpot_ms", q).alias(f"tpot_{q}_ms") for q in ("p50", "p95")],
    ]
    return frame.with_columns(measures).fill_nan(None).drop("duration_ms", "ttft_ms", "tpot_ms")


def bucket_seconds(start: datetime, end: datetime, step_s: int) -> pl.Expr:
    """The seconds of each bucket inside the window: the first and last buckets are usually partial,
    and a rate over a partial bucket divided by the full step would dip at the chart's edges."""
    bucket_end = pl.col("bucket") + pl.duration(seconds=step_s)
    covered = pl.min_horizontal(bucket_end, pl.lit(end)) - pl.max_horizontal(pl.col("bucket"), pl.lit(start))
    return (covered.dt.total_milliseconds() / 1000).clip(lower_bound=1)


def overview(frame: pl.DataFrame, start: datetime, end: datetime, step_s: int) -> dict:
    """Split the grouping sets: totals, one row per group (busiest first) and per-bucket series."""
    window_s = (end - start).total_seconds()
    # The empty grouping set always answers one row; a window without any request or call is empty.
    if frame.is_empty() or frame.filter(pl.col("whole_window") == 1)["requests", "llm_calls"].sum_horizontal().sum() == 0:
        return {"totals": None, "groups": [], "series": [], "hidden_groups": 0}
    whole = with_measures(frame.filter(pl.col("whole_window") == 1), window_s)
    buckets = with_measures(frame.filter(pl.col("whole_window") == 0), bucket_seconds(start, end, step_s))
    groups = whole.filter(pl.col("all_groups") == 0).sort(["requests", "llm_calls", "grp"], descending=[True, True, False])
    shown = groups["grp"].head(MAX_GROUPS).to_list()
    series = buckets.filter((pl.col("all_groups") == 1) | pl.col("grp").is_in(shown)).with_columns(
        pl.when(pl.col("all_groups") == 1).then(pl.lit(ALL)).otherwise(pl.col("grp")).alias("grp"))
    totals = whole.filter(pl.col("all_groups") == 1)
    return {
        "totals": _rows(totals)[0] if not totals.is_empty() else None,
        "groups": _rows(groups),
        "series": _rows(series.sort(["grp", "bucket"])),
        "hidden_groups": max(groups.height - MAX_GROUPS, 0),
    }


def _rows(frame: pl.DataFrame) -> list[dict]:
    return frame.drop("whole_window", "all_groups").to_dicts()


# -- GPU fleet ---------------------------------------------------------------------------------------

GIB = 1024 ** 3
# panel → (source metrics, how a bucket's value is derived, scale)
GPU_PANELS = {
    "utilization": (("gpu.utilization",), "mean", 100.0),
    "sm_active": (("gpu.sm_active",), "mean", 100.0),
    "memory_used": (("gpu.memory.used",), "mean", 1 / GIB),
    "power": (("gpu.power",), "mean", 1.0),
    "temperature": (("gpu.temperature",), "mean", 1.0),
    "throttled": (("gpu.throttled", "gpu.throttle.power", "gpu.throttle.thermal"), "throttle", 100.0),
    "xid": (("gpu.xid.last", "gpu.errors"), "xid", 1.0),
}
SERVER_PANELS = {
    "running": (("inference.requests.running",), "mean", 1.0),
    "waiting": (("inference.requests.waiting",), "mean", 1.0),
    "kv_cache": (("inference.kv_cache.utilization",), "mean", 100.0),
    "prefix_hit": (("inference.prefix_cache.hits", "inference.prefix_cache.queries",
                    "inference.prefix_cache.hit_ratio"), "hit_ratio", 100.0),
}


def _increase(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per-bucket increase of cumulative counters from consecutive last values (a reset counts as 0)."""
    return frame.sort([*keys, "bucket"]).with_columns(
        pl.col("last").diff().over(keys).clip(lower_bound=0).alias("increase"))


def gpu_series(frame: pl.DataFrame, step_s: int) -> pl.DataFrame:
    """Long rows (entity, host, gpu_id, panel, bucket, value) for every GPU panel."""
    gpus = frame.filter(pl.col("gpu_id") != "")
    keys = ["host", "gpu_id", "metric_name"]
    gpus = _increase(gpus, keys)
    parts = []
    for panel, (metrics, how, scale) in GPU_PANELS.items():
        rows = gpus.filter(pl.col("metric_name").is_in(metrics))
        if how == "mean":
            value = pl.col("mean")
        elif how == "throttle":
            # hw.gpu.throttled is a 0/1 gauge; DCGM's violation counters are seconds throttled.
            value = pl.when(pl.col("metric_name") == "gpu.throttled").then(pl.col("mean")) \
                .otherwise(pl.col("increase") / step_s)
        else:
            value = pl.when(pl.col("metric_name") == "gpu.xid.last").then(pl.col("peak")).otherwise(pl.col("increase"))
        rows = rows.with_columns((value * scale).alias("value")).group_by(["host", "gpu_id", "bucket"]).agg(
            pl.col("value").sum() if how == "throttle" else pl.col("value").max(), pl.col("gpu_model").first())
        parts.append(rows.with_columns(pl.lit(panel).alias("panel")))
    if not parts:
        return pl.DataFrame()
    # Exporters can send NaN gauges; JSON cannot carry them, and a gap is what they mean.
    return pl.concat(parts, how="diagonal").with_columns(pl.col("value").fill_nan(None)).drop_nulls("value").with_columns(
        (pl.col("host") + pl.lit(" · GPU ") + pl.col("gpu_id")).alias("entity")).sort(["panel", "entity", "bucket"])


def server_series(frame: pl.DataFrame) -> pl.DataFrame:
    """Long rows (entity, host, pod, model_name, panel, bucket, value) for the inference-server panels."""
    servers = _increase(frame.filter((pl.col("gpu_id") == "") & pl.col("metric_name").str.starts_with("inference.")),
                        ["host", "pod", "model_name", "metric_name"])
    keys = ["host", "pod", "model_name", "bucket"]
    parts = []
    for panel, (metrics, how, scale) in SERVER_PANELS.items():
        rows = servers.filter(pl.col("metric_name").is_in(metrics))
        if how == "mean":
            rows = rows.select(*keys, (pl.col("mean") * scale).alias("value"))
        else:
            rows = rows.group_by(keys).agg(
                pl.col("increase").filter(pl.col("metric_name") == "inference.prefix_cache.hits").sum().alias("hits"),
                pl.col("increase").filter(pl.col("metric_name") == "inference.prefix_cache.queries").sum().alias("q"),
                pl.col("mean").filter(pl.col("metric_name") == "inference.prefix_cache.hit_ratio").mean().alias("r"),
            ).select(*keys, (pl.when(pl.col("q") > 0).then(pl.col("hits") / pl.col("q")).otherwise(pl.col("r"))
                             * scale).alias("value"))
        parts.append(rows.with_columns(pl.lit(panel).alias("panel")))
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts).with_columns(pl.col("value").fill_nan(None)).drop_nulls("value").with_columns(
        (pl.col("pod").replace("", None).fill_null(pl.col("host")) + pl.lit(" · ") + pl.col("model_name"))
        .alias("entity")).sort(["panel", "entity", "bucket"])


def latest_table(series: pl.DataFrame, id_columns: list[str]) -> list[dict]:
    """One row per entity with each panel's latest bucket value, for the fleet tables."""
    if series.is_empty():
        return []
    last = series.sort("bucket").group_by([*id_columns, "entity", "panel"]).agg(pl.col("value").last())
    return last.pivot(on="panel", index=[*id_columns, "entity"], values="value").sort("entity").to_dicts()


# -- cost ------------------------------------------------------------------------------------------

def with_cost(result: dict, rows: list[dict], start: datetime, end: datetime, step_s: int) -> dict:
    """Add cost and cost per hour to the totals and groups, and a cost-per-hour series per shown
    group and overall (``rows``: bucket, grp, total_cost from the cost ledger or its rollup)."""
    if result["totals"] is None and not rows:
        return result
    # Ledger lines sit on whole minutes (a GPU-minute's cost is stamped at its start), so rates divide
    # by the whole minutes the window touches; else the last partial bucket would look expensive.
    start = start.replace(second=0, microsecond=0)
    end = end if end == end.replace(second=0, microsecond=0) else end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    hours = (end - start).total_seconds() / 3600
    frame = pl.DataFrame(rows, schema={"bucket": pl.Datetime("us", "UTC"), "grp": pl.String, "total_cost": pl.Float64},
                         orient="row") if rows else pl.DataFrame(schema={"bucket": pl.Datetime("us", "UTC"),
                                                                         "grp": pl.String, "total_cost": pl.Float64})
    frame = frame.with_columns(pl.col("total_cost").cast(pl.Float64))
    by_group = dict(frame.group_by("grp").agg(pl.col("total_cost").sum()).iter_rows())
    total = float(frame["total_cost"].sum())
    if result["totals"] is not None:
        result["totals"] = {**result["totals"], "cost": total, "cost_per_hour": total / hours}
    result["groups"] = [{**g, "cost": by_group.get(g["grp"], 0.0), "cost_per_hour": by_group.get(g["grp"], 0.0) / hours}
                        for g in result["groups"]]
    shown = [g["grp"] for g in result["groups"]][:MAX_GROUPS]
    overall = frame.group_by("bucket").agg(pl.col("total_cost").sum()).with_columns(grp=pl.lit(ALL))
    series = pl.concat([overall.select("bucket", "grp", "total_cost"), frame.filter(pl.col("grp").is_in(shown))])
    series = series.with_columns(cost_per_hour=pl.col("total_cost") / bucket_seconds(start, end, step_s) * 3600)
    result["cost_series"] = series.sort("grp", "bucket").to_dicts()
    return result
