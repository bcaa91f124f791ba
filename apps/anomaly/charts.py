"""The incident page's figures: each diagnosis' top factors, anomalous window against baseline."""

import html

from .diagnose import KINDS, LABELS


def factors_figure(diagnosis) -> dict | None:
    """Grouped bars: per top factor, its value before (baseline) and during the anomaly (bad share
    for rate symptoms, per-minute volume otherwise)."""
    top = diagnosis.factors[:6]
    if not top:
        return None
    rate = KINDS.get(diagnosis.symptom) == "rate"
    names = [html.escape(f"{f['dimension']} {f['value']}"[:60], quote=False) for f in top]
    scale = 100 if rate else 1
    unit = f"% {LABELS.get(diagnosis.symptom, '')}" if rate else f"{LABELS.get(diagnosis.symptom, '')} per minute"
    bars = [("baseline", "expected", "#8c959f"), ("anomaly", "observed", "#cf222e")]
    return {"data": [{"type": "bar", "name": name, "x": names, "y": [f[key] * scale for f in top],
                      "marker": {"color": colour}, "hovertemplate": "%{y:.3~g} " + unit + "<extra>%{fullData.name}</extra>"}
                     for name, key, colour in bars],
            "layout": {"title": {"text": "Top factors: baseline against the anomalous window", "font": {"size": 14},
                                 "x": 0, "xanchor": "left"},
                       "barmode": "group", "height": 300, "margin": {"l": 56, "r": 12, "t": 36, "b": 90},
                       "yaxis": {"title": {"text": unit}, "rangemode": "tozero"}, "legend": {"orientation": "h"}}}


LANE_METRICS = {"gpu.temperature": ("GPU temperature", 1.0), "gpu.utilization": ("GPU utilisation %", 100.0),
                "gpu.throttled": ("throttled %", 100.0), "inference.kv_cache.utilization": ("KV cache %", 100.0),
                "inference.requests.waiting": ("waiting requests", 1.0)}


def host_lane(host: str, rows, anomaly_start) -> dict:
    """One host's GPU and server gauges per minute around the anomaly, its start marked."""
    from frontend.charts import line_figure

    traces = []
    for metric, (label, scale) in LANE_METRICS.items():
        part = rows.filter(rows["metric_name"] == metric)
        if part.height:
            traces.append({"name": label, "x": part["at"].to_list(), "y": [v * scale for v in part["mean"].to_list()]})
    figure = line_figure(f"GPU lane: {host}", "", traces)
    stamp = anomaly_start.isoformat()
    figure["layout"]["shapes"].append({"type": "line", "xref": "x", "yref": "paper", "x0": stamp, "x1": stamp,
                                       "y0": 0, "y1": 1, "line": {"color": "#cf222e", "dash": "dot", "width": 1}})
    return figure


# Which overview chart shows which series.
OVERVIEW_CHARTS = {"requests": ("rate",), "error_rate": ("errors",), "latency_p95": ("latency", "latency_by_group"),
                   "ttft_p95": ("ttft",), "tpot_p95": ("tpot",), "input_per_call": ("tokens",),
                   "tokens_per_request": ("tokens",), "cost_per_hour": ("cost",)}


def with_markers(figures: dict[str, dict], anomalies) -> dict[str, dict]:
    """The overview figures with a dotted line where each anomaly of their series began (hover for
    what it is); the figures are copied, not changed."""
    marked = dict(figures)
    for anomaly in anomalies:
        at = anomaly.started_at.isoformat()
        what = html.escape(f"anomaly: {anomaly} ({anomaly.expected:.4g} → {anomaly.observed:.4g})", quote=False)
        for name in OVERVIEW_CHARTS.get(anomaly.series, ()):
            figure = marked.get(name)
            if not figure:
                continue
            layout = dict(figure["layout"])
            layout["shapes"] = [*layout.get("shapes", []), {
                "type": "line", "xref": "x", "yref": "paper", "x0": at, "x1": at, "y0": 0, "y1": 1,
                "line": {"color": "#cf222e", "dash": "dot", "width": 1.5}}]
            layout["annotations"] = [*layout.get("annotations", []), {
                "xref": "x", "yref": "paper", "x": at, "y": 1, "text": "⚠", "hovertext": what, "showarrow": False,
                "font": {"color": "#cf222e"}, "yanchor": "bottom"}]
            marked[name] = {**figure, "layout": layout}
    return marked
