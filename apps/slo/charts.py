"""The SLO pages' figures: burn-rate sparklines, SLI and budget over time, burn rate per window."""

import polars as pl

from frontend.charts import line_figure


def sparkline(line: dict | None) -> dict | None:
    if not line:
        return None
    return {"data": [{"type": "scatter", "mode": "lines", "x": line["at"], "y": line["burn"], "name": "burn rate",
                      "line": {"color": "#cf222e", "width": 1.5}, "hovertemplate": "%{y:.2f}×<extra></extra>"}],
            "layout": {"height": 36, "width": 160, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": False,
                       "xaxis": {"visible": False}, "yaxis": {"visible": False, "rangemode": "tozero"}}}


def history_figures(history: pl.DataFrame, objective: float, thresholds: dict[str, float]) -> dict[str, dict]:
    """``thresholds``: long-window label → burn-rate factor that pages or tickets."""
    if history.is_empty():
        return {}
    minutes = history["minute"].to_list()
    burns = history.select("minute", "burn_windows", "burn_rates").explode(["burn_windows", "burn_rates"]) \
        .drop_nulls("burn_windows")
    burn_traces = [{"name": str(window), "x": part["minute"].to_list(), "y": part["burn_rates"].to_list()}
                   for (window,), part in burns.group_by(["burn_windows"], maintain_order=True)]
    return {
        "sli": line_figure("SLI over the SLO period", "%", [{"name": "SLI", "x": minutes,
                                                            "y": (history["sli"] * 100).to_list()}],
                           y_range_zero=False, hlines=[(objective * 100, "objective")]),
        "budget": line_figure("Error budget remaining", "%", [{"name": "budget remaining", "x": minutes,
                                                               "y": (history["budget_remaining"] * 100).to_list()}],
                              y_range_zero=False, hlines=[(0.0, "exhausted")]),
        "burn": line_figure("Burn rate per window", "× budget rate", burn_traces,
                            hlines=[(factor, f"{label} threshold") for label, factor in thresholds.items()]),
    }
