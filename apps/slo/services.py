"""Writes for SLOs: definitions (validated), evaluation, and the alert lifecycle.

An alert's state changes only by compare-and-set (``UPDATE … WHERE state = <expected>``), so two
evaluators racing on the same minute produce one firing and one resolution per episode, never two.
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal

from apps.core.models import Project
from warehouse import WarehouseError

from . import compute, openslo, selectors, sli
from .models import SLO, AlertEvent, AlertState, Budgeting, Severity, SLOAlert, Window

logger = logging.getLogger(__name__)
# Sent with the alert events of one evaluation; the alerts app routes them to notification channels.
alert_events_recorded = Signal()
_PERIOD_DAYS = {Window.ROLLING_7D: 7, Window.ROLLING_28D: 28, Window.ROLLING_30D: 30}
_MAX_LOOKBACK_S = 72 * 3600                      # the longest default alert window (3 days)
COUNTED = ("sli_kind", "target", "threshold_ms", "filters")     # what each minute's good/total depends on
FIELDS = ("name", "description", "sli_kind", "target", "threshold_ms", "filters", "objective", "window",
          "budgeting", "timeslice_target", "alert_windows", "enabled")


class SLOError(ValueError):
    """An SLO definition was refused; the message says which field and why."""


# -- definitions ----------------------------------------------------------------------------------

def slo_create(project: Project, *, created_by=None, **fields) -> SLO:
    definition = validate_definition({**_defaults(), **fields})
    try:
        with transaction.atomic():
            return SLO.objects.create(project=project, created_by=created_by, **definition)
    except IntegrityError as exc:
        if not SLO.objects.filter(project=project, name=definition["name"]).exists():
            raise                   # not the name: something else refused the write
        raise SLOError(f"name: an SLO named {definition['name']!r} already exists in this project") from exc


def slo_update(slo: SLO, **fields) -> SLO:
    current = {name: getattr(slo, name) for name in FIELDS}
    definition = validate_definition({**current, **fields})
    changed = [name for name in FIELDS if definition[name] != current[name]]
    for name in changed:
        setattr(slo, name, definition[name])
    if any(name in COUNTED for name in changed):
        # What is counted changed: the sealed per-minute history no longer applies.
        slo.version += 1
        slo.sealed_until = None
        changed += ["version", "sealed_until"]
    try:
        with transaction.atomic():
            # Only the changed fields: the evaluator advances sealed_until concurrently.
            slo.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        if not SLO.objects.filter(project_id=slo.project_id, name=definition["name"]).exclude(pk=slo.pk).exists():
            raise                   # not the name: something else refused the write
        raise SLOError(f"name: an SLO named {definition['name']!r} already exists in this project") from exc
    return slo


def slos_import(project: Project, text: str, *, created_by=None) -> list[SLO]:
    """Create the SLOs of an OpenSLO v1 YAML stream: all of them, or none when one is refused."""
    definitions = openslo.parse(text)
    created = []
    with transaction.atomic():
        for number, definition in enumerate(definitions, start=1):
            try:
                created.append(slo_create(project, created_by=created_by, **definition))
            except SLOError as exc:
                raise SLOError(f"SLO document {number}: {exc}") from exc
    return created


def slos_export(project: Project) -> str:
    return openslo.export([{name: getattr(slo, name) for name in FIELDS} for slo in SLO.objects.filter(project=project)])


def _defaults() -> dict:
    return {"description": "", "target": sli.REQUESTS, "threshold_ms": None, "filters": {},
            "window": Window.ROLLING_30D, "budgeting": Budgeting.OCCURRENCES, "timeslice_target": None,
            "alert_windows": None, "enabled": True}


def validate_definition(fields: dict) -> dict:
    """The definition with normalised values, or SLOError naming the first wrong field."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise SLOError(f"unknown fields: {', '.join(sorted(unknown))}")
    out = dict(fields)
    out["name"] = _name(fields.get("name"))
    _choice("sli_kind", fields.get("sli_kind"), sli.KINDS)
    _choice("target", fields.get("target"), sli.TARGETS)
    _choice("window", fields.get("window"), Window.values)
    _choice("budgeting", fields.get("budgeting"), Budgeting.values)
    out["objective"] = _ratio("objective", fields.get("objective"), upper_open=True)
    out["threshold_ms"] = _threshold(fields["sli_kind"], fields.get("threshold_ms"))
    out["filters"] = _filters(fields.get("filters") or {})
    out["timeslice_target"] = (_ratio("timeslice_target", fields.get("timeslice_target"), upper_open=False)
                               if fields["budgeting"] == Budgeting.TIMESLICES else None)
    out["alert_windows"] = _alert_windows(fields.get("alert_windows"))
    if fields["sli_kind"] == sli.GUARDRAIL_BLOCK and out["filters"].get("attributes"):
        raise SLOError("filters.attributes: a guardrail block-rate SLI is scoped by services, models, tenants "
                       "and policies; attribute filters apply to span-based SLIs")
    if fields["sli_kind"] in (sli.TTFT, sli.TPOT) and fields["target"] != sli.LLM_CALLS:
        raise SLOError("target: TTFT and time-per-output-token SLIs measure model calls; use target 'llm_calls'")
    if not isinstance(fields.get("enabled", True), bool):
        raise SLOError("enabled: true or false")
    if len(str(fields.get("description") or "")) > 1050:
        raise SLOError("description: at most 1050 characters")
    return out


def _name(value) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 63:
        raise SLOError("name: 1–63 characters")
    return name


def _choice(field: str, value, allowed) -> None:
    if value not in allowed:
        raise SLOError(f"{field}: {value!r} is not one of {', '.join(allowed)}")


def _ratio(field: str, value, upper_open: bool) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise SLOError(f"{field}: {value!r} is not a number") from exc
    exponent = number.as_tuple().exponent
    if (not number.is_finite() or not isinstance(exponent, int) or exponent < -5
            or not (0 < number < 1 if upper_open else 0 < number <= 1)):
        bounds = "strictly between 0 and 1" if upper_open else "in (0, 1]"
        raise SLOError(f"{field}: {value} must be {bounds}, with at most 5 decimals (e.g. 0.995 for 99.5%)")
    return number


def _threshold(kind: str, value) -> int | None:
    if kind not in sli.THRESHOLD_KINDS:
        if value not in (None, ""):
            raise SLOError(f"threshold_ms: a {kind} SLI has no threshold")
        return None
    try:
        threshold = int(value)
    except (TypeError, ValueError) as exc:
        raise SLOError(f"threshold_ms: a {kind} SLI needs a threshold in milliseconds") from exc
    if threshold not in sli.LATENCY_BOUNDS_MS:
        raise SLOError(f"threshold_ms: {threshold} is not a rollup bound; use one of "
                       f"{', '.join(map(str, sli.LATENCY_BOUNDS_MS))}")
    return threshold


def _filters(filters) -> dict:
    if not isinstance(filters, dict):
        raise SLOError("filters: an object of lists, e.g. {\"models\": [\"gpt-4o\"]}")
    unknown = set(filters) - set(sli.FILTER_KEYS)
    if unknown:
        raise SLOError(f"filters: unknown keys {', '.join(sorted(unknown))}; allowed: {', '.join(sli.FILTER_KEYS)}")
    clean = {}
    for key, values in filters.items():
        if not isinstance(values, list) or not all(isinstance(v, str) and 0 < len(v) <= 256 for v in values):
            raise SLOError(f"filters.{key}: a list of non-empty strings (at most 256 characters each)")
        if len(values) > 100:
            raise SLOError(f"filters.{key}: at most 100 values")
        if values:
            clean[key] = sorted(set(values))
    if "attributes" in clean:
        clean["attributes"] = _attribute_filters(clean["attributes"])
    return clean


def _attribute_filters(values: list[str]) -> list[str]:
    from apps.telemetry.query import QueryError, parse_attribute_filter

    if len(values) > sli.MAX_ATTRIBUTE_FILTERS:
        raise SLOError(f"filters.attributes: at most {sli.MAX_ATTRIBUTE_FILTERS}")
    try:
        return [parse_attribute_filter(v).text for v in values]
    except QueryError as exc:
        raise SLOError(f"filters.attributes: {exc}") from None


def _alert_windows(rows) -> list[dict] | None:
    if rows in (None, [], ""):
        return None
    if not isinstance(rows, list) or len(rows) > 8:
        raise SLOError("alert_windows: a list of at most 8 rows {severity, long_s, short_s, factor}")
    clean = []
    for i, row in enumerate(rows):
        try:
            severity, long_s, short_s, factor = row["severity"], int(row["long_s"]), int(row["short_s"]), float(row["factor"])
        except (TypeError, KeyError, ValueError) as exc:
            raise SLOError(f"alert_windows[{i}]: needs severity, long_s, short_s and factor") from exc
        _choice(f"alert_windows[{i}].severity", severity, Severity.values)
        if not (60 <= short_s < long_s <= _MAX_LOOKBACK_S and long_s % 60 == 0 and short_s % 60 == 0 and factor > 0):
            raise SLOError(f"alert_windows[{i}]: whole minutes with 60 ≤ short_s < long_s ≤ {_MAX_LOOKBACK_S}, "
                           "and factor > 0")
        clean.append({"severity": severity, "long_s": long_s, "short_s": short_s, "factor": factor})
    return clean


# -- alert lifecycle ------------------------------------------------------------------------------

def alerts_move(slo: SLO, evaluation: compute.Evaluation) -> tuple[list[AlertEvent], list[AlertEvent]]:
    """Fire or resolve the SLO's alerts per the evaluation; (fired, resolved) events, each recorded once."""
    fired: list[AlertEvent] = []
    resolved: list[AlertEvent] = []
    for severity in Severity.values:
        # The state change, its event and the notification hand-off commit together, or not at all:
        # an alert must never be firing without the event that announces it.
        with transaction.atomic():
            event = _move_alert(slo, severity, evaluation)
            if event is not None:
                alert_events_recorded.send(sender=SLO, events=[event])
        if event is not None:
            (fired if event.kind == AlertEvent.Kind.FIRING else resolved).append(event)
    return fired, resolved


def _move_alert(slo: SLO, severity: str, evaluation: compute.Evaluation) -> AlertEvent | None:
    alert, _ = SLOAlert.objects.get_or_create(slo=slo, severity=severity)
    firing = evaluation.firing(severity)
    now = evaluation.at
    if firing and SLOAlert.objects.filter(pk=alert.pk, state=AlertState.OK).update(
            state=AlertState.FIRING, episode=F("episode") + 1, fired_at=now, resolved_at=None) == 1:
        alert.refresh_from_db()
        return _record(alert, str(AlertEvent.Kind.FIRING), slo, evaluation)
    if not firing and SLOAlert.objects.filter(pk=alert.pk, state=AlertState.FIRING).update(
            state=AlertState.OK, resolved_at=now) == 1:
        alert.refresh_from_db()
        return _record(alert, str(AlertEvent.Kind.RESOLVED), slo, evaluation)
    return None


def _record(alert: SLOAlert, kind: str, slo: SLO, evaluation: compute.Evaluation) -> AlertEvent:
    rows = [row for row in evaluation.rows if row.severity == alert.severity]
    exemplars = []
    if kind == AlertEvent.Kind.FIRING:
        worst = max(rows, key=lambda row: row.long_s if row.firing else 0)
        try:
            exemplars = selectors.exemplar_traces(slo, evaluation.at - timedelta(seconds=worst.short_s),
                                                  evaluation.at)
        except WarehouseError:
            # Exemplars help; they must not keep a page from going out.
            logger.exception("exemplar traces unavailable", extra={"slo_id": slo.pk})
    return AlertEvent.objects.create(
        alert=alert, episode=alert.episode, kind=kind, at=evaluation.at, summary=summary(slo, alert.severity, kind, evaluation),
        burn_rates={compute.label(r.long_s) + "/" + compute.label(r.short_s): {"long": round(r.long_burn, 4),
                    "short": round(r.short_burn, 4), "threshold": round(r.factor, 4)} for r in rows},
        exemplars=exemplars)


def summary(slo: SLO, severity: str, kind: str, evaluation: compute.Evaluation) -> str:
    rates = ", ".join(f"{compute.label(r.long_s)} {r.long_burn:.1f}x / {compute.label(r.short_s)} {r.short_burn:.1f}x "
                      f"(threshold {r.factor:.4g}x)" for r in evaluation.rows if r.severity == severity)
    verb = "is burning its error budget" if kind == AlertEvent.Kind.FIRING else "recovered"
    text = (f"[{severity}] SLO {slo.name} ({slo.project.name}) {verb}: {rates}; "
            f"{evaluation.budget_remaining:.1%} of the budget left")
    return text[:1024]
