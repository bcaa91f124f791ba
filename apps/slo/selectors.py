"""Reads for SLOs: per-minute SLI series and exemplar traces (through warehouse named queries)."""

from datetime import datetime, timedelta

import polars as pl

from warehouse import get_warehouse

from . import charts, compute, sli
from .models import SLO, SLOAlert


def _scope(slo: SLO) -> dict:
    filters = slo.filters or {}
    return {key: [str(v) for v in filters.get(key, [])] for key in sli.FILTER_KEYS}


def attribute_scoped(slo: SLO) -> bool:
    """Scoped by attributes, so counted from spans: the rollups keep no attributes."""
    return bool((slo.filters or {}).get("attributes"))


def _attribute_params(slo: SLO) -> dict:
    from apps.telemetry.query import parse_attribute_filter

    parsed = [parse_attribute_filter(text) for text in (slo.filters or {}).get("attributes", [])]
    return {"attr_keys": [a.key for a in parsed], "attr_ops": [a.op for a in parsed],
            "attr_values": [a.value for a in parsed]}


def sli_minutes(slo: SLO, start: datetime, end: datetime) -> pl.DataFrame:
    """Columns minute, good, total: the SLO's events per minute over [start, end)."""
    scope = _scope(slo)
    if slo.sli_kind == sli.GUARDRAIL_BLOCK:
        return get_warehouse().run_query(
            "slo.sli_guardrail_minutes", project_id=slo.project_id, start=start, end=end,
            services=scope["services"], models=scope["models"], tenants=scope["tenants"],
            policies=scope["policies"])
    params = _span_scope(slo, scope)
    if attribute_scoped(slo):
        return get_warehouse().run_query(
            "slo.sli_span_minutes", project_id=slo.project_id, start=start, end=end, kind=slo.sli_kind,
            threshold_ns=(slo.threshold_ms or 0) * 1_000_000, **params, **_attribute_params(slo))
    if slo.sli_kind != sli.AVAILABILITY:
        params["bucket"] = sli.bucket_index(slo.threshold_ms)
    # One query file per kind: an aggregate in an unused multiIf branch would still be computed.
    return get_warehouse().run_query(f"slo.sli_{slo.sli_kind}_minutes", project_id=slo.project_id, start=start,
                                     end=end, **params)


def rollup_minutes(project_id: int, start: datetime, end: datetime) -> pl.DataFrame:
    """A project's per-minute rollup rows over [start, end), with the columns SLO scopes filter on."""
    return get_warehouse().run_query("slo.rollup_minutes", project_id=project_id, start=start, end=end)


def sli_minutes_from_rollups(slo: SLO, rollups: pl.DataFrame) -> pl.DataFrame:
    """The same series as ``sli_minutes`` for a span-based SLO, sliced from ``rollup_minutes`` rows."""
    scope = _span_scope(slo, _scope(slo))
    filters = {key: scope[key] for key in ("services", "endpoints", "models", "providers", "tenants")}
    if rollups.is_empty():
        return pl.DataFrame(schema={"minute": pl.Datetime("us", "UTC"), "good": pl.Int64, "total": pl.Int64})
    return compute.sli_from_rollups(rollups, slo.sli_kind, sli.bucket_index(slo.threshold_ms) if slo.threshold_ms
                                    else None, scope["roots_only"], scope["operations"], filters)


def exemplar_traces(slo: SLO, start: datetime, end: datetime, limit: int = 5) -> list[dict]:
    """The worst bad events in a window, as trace/span ids with what made them bad."""
    if slo.sli_kind == sli.GUARDRAIL_BLOCK:
        return []
    frame = get_warehouse().run_query(
        "slo.exemplars", project_id=slo.project_id, start=start, end=end, kind=slo.sli_kind,
        threshold_ns=(slo.threshold_ms or 0) * 1_000_000, limit=limit, **_span_scope(slo, _scope(slo)),
        **_attribute_params(slo))
    return [{"trace_id": row["trace_id"], "span_id": row["span_id"], "name": row["name"],
             "service": row["service_name"], "duration_ms": round(row["duration_ns"] / 1e6, 1),
             "error": bool(row["is_error"]), "error_type": row["error_type"]}
            for row in frame.iter_rows(named=True)]


def _span_scope(slo: SLO, scope: dict) -> dict:
    return {
        "roots_only": slo.target == sli.REQUESTS,
        "operations": list(sli.LLM_OPERATIONS) if slo.target == sli.LLM_CALLS else [],
        "services": scope["services"], "endpoints": scope["endpoints"], "models": scope["models"],
        "providers": scope["providers"], "tenants": scope["tenants"],
    }


# -- the SLO pages ----------------------------------------------------------------------------------

def latest_evaluations(project_id: int, start: datetime, end: datetime) -> dict[int, dict]:
    frame = get_warehouse().run_query("slo.latest_evaluations", project_id=project_id, start=start, end=end)
    return {row["slo_id"]: row for row in frame.iter_rows(named=True)}


def burn_sparklines(project_id: int, start: datetime, end: datetime) -> dict[int, dict]:
    frame = get_warehouse().run_query("slo.burn_sparklines", project_id=project_id, start=start, end=end)
    lines: dict[int, dict] = {}
    for row in frame.iter_rows(named=True):
        line = lines.setdefault(row["slo_id"], {"at": [], "burn": [], "budget": []})
        line["at"].append(row["quarter"])
        line["burn"].append(row["burn"])
        line["budget"].append(row["budget"])
    return lines


def evaluation_history(slo: SLO, start: datetime, end: datetime) -> pl.DataFrame:
    """The SLO's stored evaluations per minute: SLI, budget remaining, burn rates per window, firing."""
    return get_warehouse().run_query("slo.evaluations", project_id=slo.project_id, start=start, end=end,
                                     slo_id=slo.pk)


def slo_summaries(project_id: int, now: datetime) -> list[dict]:
    """Every SLO of a project with its latest SLI, budget, burn rates, alert states, projected budget
    exhaustion and a day of burn-rate sparkline: the SLO list."""
    from .evaluation import period  # evaluation imports this module

    start = now - timedelta(hours=24)
    latest = latest_evaluations(project_id, start, now + timedelta(minutes=1))
    lines = burn_sparklines(project_id, start, now + timedelta(minutes=1))
    alerts: dict[int, dict[str, str]] = {}
    for alert in SLOAlert.objects.filter(slo__project_id=project_id):
        alerts.setdefault(alert.slo_id, {})[alert.severity] = alert.state
    rows = []
    for slo in SLO.objects.filter(project_id=project_id).order_by("name"):
        evaluation = latest.get(slo.pk)
        exhaustion = None
        if evaluation is not None:
            exhaustion = compute.projected_exhaustion(
                evaluation["evaluated_at"], evaluation["budget_remaining"], evaluation["burn_windows"],
                evaluation["burn_rates"], period(slo, evaluation["evaluated_at"])[1])
        rows.append({"slo": slo, "evaluation": evaluation, "exhaustion_at": exhaustion,
                     "alerts": alerts.get(slo.pk, {}), "sparkline": lines.get(slo.pk)})
    return rows


def slo_history(slo: SLO, start: datetime, end: datetime) -> dict:
    """An SLO page's data: evaluations per minute, their figures, the alert thresholds and exemplars."""
    from .evaluation import period  # evaluation imports this module

    history = evaluation_history(slo, start, end)
    _, period_s = period(slo, end)
    thresholds = {compute.label(w.long_s): round(w.factor, 2) for w in compute.alert_windows(period_s, slo.alert_windows)}
    rows = history.with_columns(pl.col("minute")).to_dicts()
    return {"evaluations": rows, "thresholds": thresholds,
            "figures": charts.history_figures(history, float(slo.objective), thresholds),
            "exemplars": exemplar_traces(slo, max(start, end - timedelta(hours=1)), end, limit=10)}
