"""Plotly figure builders shared by every page: plain figure dicts, so they serialise straight to JSON
and render with the Plotly.js served from the installed plotly package.

One colour per name (model, service, …) everywhere: the colour comes from the name, not the order.
"""

import hashlib
import html

# Okabe–Ito and Tableau hues: distinguishable for the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#4E79A7",
           "#59A14F", "#B07AA1", "#9C755F", "#76B7B2")
ALL_COLOUR = "#1b1f24"


def colour_for(name: str) -> str:
    if name == "(all)":
        return ALL_COLOUR
    digest = hashlib.blake2s(name.encode(), digest_size=2).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


def line_figure(title: str, unit: str, traces: list[dict], *, y_range_zero: bool = True,
                hlines: list[tuple[float, str]] | None = None) -> dict:
    """``traces``: dicts with ``name``, ``x``, ``y`` and optional ``dash``."""
    data = [{
        # Plotly reads trace names as a small HTML subset (links included): names come from
        # telemetry, so they go in escaped and show as text.
        "type": "scatter", "mode": "lines" if len(t["x"]) > 2 else "lines+markers",
        "name": html.escape(t["name"] or "(none)", quote=False),
        "x": t["x"], "y": t["y"],
        "line": {"color": t.get("colour") or colour_for(t["name"]), "width": 2, "dash": t.get("dash", "solid")},
        "hovertemplate": "%{y:.4~g} " + unit + "<extra>%{fullData.name}</extra>",
        "connectgaps": False,
    } for t in traces]
    shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
               "line": {"color": "#cf222e", "dash": "dot", "width": 1}, "name": label} for y, label in hlines or []]
    return {"data": data, "layout": {
        "title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left"},
        "margin": {"l": 56, "r": 12, "t": 36, "b": 36}, "height": 240 + 18 * ((len(data) + 2) // 3),
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": unit}, "rangemode": "tozero" if y_range_zero else "normal"},
        "legend": {"orientation": "h", "y": -0.2}, "hovermode": "x unified", "shapes": shapes,
    }}


def series_traces(rows: list[dict], field: str, *, names: list[str] | None = None, dash: str = "solid",
                  suffix: str = "") -> list[dict]:
    """One trace per group from long rows (``grp``, ``bucket``, field…), in ``names`` order when given."""
    by_group: dict[str, dict] = {}
    for row in rows:
        trace = by_group.setdefault(row["grp"], {"name": row["grp"] + suffix, "colour": colour_for(row["grp"]),
                                                 "x": [], "y": [], "dash": dash})
        trace["x"].append(row["bucket"])
        trace["y"].append(row[field])
    order = names if names is not None else sorted(by_group)
    return [by_group[n] for n in order if n in by_group]
