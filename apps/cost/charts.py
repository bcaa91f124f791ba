"""Plotly figures of the finance pages (plain dicts; names from telemetry are escaped)."""

import html
from datetime import date
from decimal import Decimal

from frontend.charts import colour_for

from .budgets import BudgetStatus, month_end


def daily_cost_figure(series: dict[str, dict[date, Decimal]], title: str) -> dict:
    """Stacked daily cost bars, one colour per name."""
    data = [{"type": "bar", "name": html.escape(name, quote=False), "x": [d.isoformat() for d in sorted(days)],
             "y": [float(days[d]) for d in sorted(days)], "marker": {"color": colour_for(name)},
             "hovertemplate": "$%{y:.4~f}<extra>%{fullData.name}</extra>"}
            for name, days in sorted(series.items(), key=lambda item: -sum(item[1].values()))]
    return {"data": data, "layout": {
        "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"}, "barmode": "stack",
        "margin": {"l": 56, "r": 12, "t": 36, "b": 36}, "height": 300, "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "USD"}, "rangemode": "tozero"}, "legend": {"orientation": "h", "y": -0.2}}}


def burn_down_figure(state: BudgetStatus, name: str) -> dict:
    """Budget left per day, with the straight-line forecast to month end."""
    days = state.burn_down()
    x = [d.isoformat() for d, _ in days]
    left = [float(v) for _, v in days]
    data = [{"type": "scatter", "mode": "lines+markers", "name": "budget left", "x": x, "y": left,
             "line": {"color": "#0072B2"}}]
    if days:
        data.append({"type": "scatter", "mode": "lines", "name": "forecast", "line": {"color": "#D55E00", "dash": "dot"},
                     "x": [x[-1], month_end(state.month).isoformat()],
                     "y": [left[-1], float(state.amount - state.forecast)]})
    return {"data": data, "layout": {
        "title": {"text": html.escape(name, quote=False), "font": {"size": 13}, "x": 0, "xanchor": "left"},
        "margin": {"l": 56, "r": 12, "t": 30, "b": 30}, "height": 220, "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "USD"}}, "showlegend": False,
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                    "line": {"color": "#cf222e", "dash": "dot", "width": 1}}]}}
