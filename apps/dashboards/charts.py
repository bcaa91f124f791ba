"""The overview dashboard's figures, from the rows that compute.overview returns."""

import polars as pl

from frontend.charts import line_figure, series_traces

from .compute import ALL


def overview_figures(result: dict, scope: str) -> dict[str, dict]:
    series = result["series"]
    groups = [g["grp"] for g in result["groups"]][:8]
    unit_rate = "LLM calls/s" if scope == "llm_calls" else "requests/s"
    noun = "LLM call" if scope == "llm_calls" else "request"
    overall = [r for r in series if r["grp"] == ALL]
    latency = [*series_traces(overall, "duration_p50_ms", suffix=" p50", dash="dot"),
               *series_traces(overall, "duration_p95_ms", suffix=" p95"),
               *series_traces(overall, "duration_p99_ms", suffix=" p99", dash="dash")]
    return {
        "rate": line_figure(f"{noun.capitalize()}s per second", unit_rate, series_traces(series, "requests_per_s",
                                                                                          names=[ALL, *groups])),
        "errors": line_figure(f"Errors (% of {noun}s)", "%", series_traces(series, "error_pct", names=[ALL, *groups])),
        "latency": line_figure(f"{noun.capitalize()} latency, all", "ms", latency),
        "latency_by_group": line_figure(f"p95 {noun} latency by group", "ms",
                                        series_traces(series, "duration_p95_ms", names=groups)),
        "ttft": line_figure("Time to first token, p95", "ms", series_traces(series, "ttft_p95_ms", names=[ALL, *groups])),
        "tpot": line_figure("Time per output token, p95", "ms",
                            series_traces(series, "tpot_p95_ms", names=[ALL, *groups])),
        "tokens": line_figure("Tokens per second (input + output)", "tokens/s",
                              series_traces(series, "tokens_per_s", names=[ALL, *groups])),
        "cost": line_figure("Cost per hour", "USD/h",
                            series_traces(result.get("cost_series", []), "cost_per_hour", names=[ALL, *groups])),
    }


GPU_TITLES = {
    "utilization": ("GPU utilisation", "%"), "sm_active": ("SM active", "%"), "memory_used": ("GPU memory used", "GiB"),
    "power": ("Power draw", "W"), "temperature": ("GPU temperature", "°C"),
    "throttled": ("Throttled (share of time)", "%"), "xid": ("XID errors (last code / count)", ""),
}
SERVER_TITLES = {
    "running": ("Running requests", "requests"), "waiting": ("Waiting requests", "requests"),
    "kv_cache": ("KV-cache usage", "%"), "prefix_hit": ("Prefix-cache hit ratio", "%"),
}


def fleet_figures(gpus: pl.DataFrame, servers: pl.DataFrame) -> dict[str, dict]:
    """One chart per panel, one line per GPU or server. Each point carries its host and GPU so that a
    click can list the requests that ran there."""
    figures = {}
    for frame, titles, kind in ((gpus, GPU_TITLES, "gpu"), (servers, SERVER_TITLES, "server")):
        for panel, (title, unit) in titles.items():
            rows = frame.filter(pl.col("panel") == panel) if not frame.is_empty() else frame
            traces = []
            for (entity,), part in (rows.group_by(["entity"], maintain_order=True) if not rows.is_empty() else []):
                gpu = part["gpu_id"][0] if kind == "gpu" else ""
                traces.append({"name": str(entity), "x": part["bucket"].to_list(), "y": part["value"].to_list(),
                               "customdata": [[part["host"][0], gpu]] * part.height})
            figure = line_figure(title, unit, traces)
            for trace, data in zip(traces, figure["data"], strict=True):
                data["customdata"] = trace["customdata"]
            figures[f"{kind}_{panel}"] = figure
    return figures
