"""What a scan's findings become: anomalies (one open per series), their diagnoses, change events
seen in the data, incidents with a timeline, and one notification per incident through the
project's alert channels. Users acknowledge and resolve incidents; recovery resolves them too."""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.alerts.services import notify
from apps.core.models import Project
from apps.slo.consumers import publish_event
from warehouse import get_warehouse

from . import diagnose
from .models import Anomaly, ChangeEvent, Diagnosis, Incident, IncidentEvent
from .scan import HISTORY, RECOVERY, SERIES, Finding, judge, scan_end

GROUPING = timedelta(minutes=30)      # an anomaly joins an incident active this recently
CHANGES_BEFORE = timedelta(hours=1)   # changes this long before an anomaly are candidates


def scan_project(project: Project, now: datetime | None = None) -> dict:
    """Judge every series of the project and apply the findings; what changed."""
    end = scan_end(now or timezone.now())
    findings = judge(project.pk, end)
    opened = []
    with transaction.atomic():
        for finding in findings:
            anomaly, created = _upsert(project, finding, end)
            if created:
                opened.append(anomaly)
        recovered = _recover(project, findings, end)
    for anomaly in opened:
        explain(anomaly, end)
    closed = _close_recovered_incidents(project, end)
    return {"findings": len(findings), "opened": [a.pk for a in opened], "recovered": recovered, "closed": closed}


def _upsert(project: Project, finding: Finding, end: datetime) -> tuple[Anomaly, bool]:
    verdict = finding.verdict
    observed = finding.peak if finding.series.event else verdict.observed
    values = {"observed": observed, "expected": verdict.expected, "score": verdict.score,
              "last_seen_at": end}
    anomaly = Anomaly.objects.select_for_update().filter(
        project=project, series=finding.series.name, dimension=finding.dimension, value=finding.value,
        state=Anomaly.State.OPEN).first()
    if anomaly is not None:
        for field, value in values.items():
            setattr(anomaly, field, value)
        anomaly.peak = max(anomaly.peak, finding.peak)
        anomaly.save(update_fields=[*values, "peak"])
        return anomaly, False
    return Anomaly.objects.create(
        project=project, series=finding.series.name, dimension=finding.dimension, value=finding.value,
        method=verdict.method, direction=verdict.direction, started_at=finding.started_at, opened_at=end,
        change_point_at=finding.change_point_at, peak=finding.peak, **values), True


def _recover(project: Project, findings: list[Finding], end: datetime) -> list[int]:
    """Open anomalies whose series has been normal for RECOVERY are resolved."""
    still = {(f.series.name, f.dimension, f.value) for f in findings}
    done = []
    for anomaly in Anomaly.objects.select_for_update().filter(project=project, state=Anomaly.State.OPEN,
                                                              last_seen_at__lte=end - RECOVERY):
        if (anomaly.series, anomaly.dimension, anomaly.value) not in still:
            anomaly.state, anomaly.resolved_at = Anomaly.State.RESOLVED, end
            anomaly.save(update_fields=["state", "resolved_at"])
            if anomaly.incident_id:
                _event(anomaly.incident, end, "recovered", f"{anomaly} is back to normal", {"anomaly": anomaly.pk})
            done.append(anomaly.pk)
    return done


# -- diagnosis -------------------------------------------------------------------------------------


def explain(anomaly: Anomaly, end: datetime) -> Incident:
    """A new anomaly: diagnose it, then group it into an incident (opening one and notifying if need be)."""
    _diagnose(anomaly, end)
    return _attach(anomaly, end)


def scope_of(anomaly: Anomaly) -> diagnose.Scope:
    # A GPU's anomaly looks at the whole project: which spans it slowed or failed is the question.
    fields = {"service": "service", "endpoint": "endpoint", "model": "model", "tenant": "tenant", "host": "host"}
    return diagnose.Scope(**{fields[anomaly.dimension]: anomaly.value}) if anomaly.dimension in fields else \
        diagnose.Scope()


def _diagnose(anomaly: Anomaly, end: datetime) -> Diagnosis:
    kind = SERIES[anomaly.series]
    window = diagnose.Window(anomaly.started_at - HISTORY, anomaly.started_at, end)
    scope = scope_of(anomaly)
    factors = diagnose.factors(anomaly.project_id, kind.symptom, window, scope)
    changes = _changes(anomaly, factors, window)
    implicated = [(f["dimension"], f["value"]) for f in factors[:3]] + [(anomaly.dimension, anomaly.value)]
    hosts = sorted({value.split("/")[0] for dimension, value in implicated if dimension in ("host", "gpu")})
    evidence = {"hosts": diagnose.host_evidence(anomaly.project_id, hosts, window),
                "changes": [{"at": c.at.isoformat(), "kind": c.kind, "service": c.service, "version": c.version,
                             "description": c.description} for c in changes]}
    return Diagnosis.objects.create(
        project_id=anomaly.project_id, anomaly=anomaly, symptom=kind.symptom,
        scope={k: v for k, v in vars(scope).items() if v}, baseline_start=window.baseline_start,
        window_start=window.start, window_end=window.end, summary=summary(anomaly, factors, changes)[:600],
        factors=_plain(factors), evidence=_plain(evidence), examples=_examples(anomaly.project_id, factors, window))


def summary(anomaly: Anomaly, factors: list[dict], changes: list[ChangeEvent]) -> str:
    """One sentence: what moved, from what to what, since when, and what explains it."""
    kind = SERIES[anomaly.series]
    moved = "rose" if anomaly.direction == "up" else "fell"
    scope = "the project" if anomaly.dimension == "*" else f"{anomaly.dimension} {anomaly.value}"
    text = (f"{kind.label[:1].upper()}{kind.label[1:]} of {scope} {moved} from {_figure(anomaly.expected, kind.unit)} to "
            f"{_figure(anomaly.observed, kind.unit)} since {anomaly.started_at:%H:%M} UTC")
    if factors:
        text += "; " + explanation(kind.symptom, factors[0])
    if changes:
        nearest = changes[0]
        text += f", after {nearest.get_kind_display().lower()} {nearest.version or nearest.description} " \
                f"at {nearest.at:%H:%M} UTC"
    return text + "."


def explanation(symptom: str, top: dict) -> str:
    """What the first factor says, in words (anomalies and SLO burns alike)."""
    label = diagnose.LABELS[symptom]
    if diagnose.KINDS[symptom] == "rate":
        return (f"{top['dimension']} {top['value']} explains it: {top['observed']:.0%} of its items are {label} "
                f"against {top['expected']:.0%} before ({top['share']:.0%} of the excess, "
                f"{top['lift']:.1f}× over-represented)")
    return (f"{top['dimension']} {top['value']} accounts for {top['share']:.0%} of the growth "
            f"({top['expected']:.1f} → {top['observed']:.1f} {label} per minute)")


def _figure(value: float, unit: str) -> str:
    if unit == "":
        return f"{value:.1%}" if value <= 1 else f"{value:.3g}"
    return f"{value:,.0f} {unit}".strip() if unit != "/min" else f"{value:,.1f}/min"


def _changes(anomaly: Anomaly, factors: list[dict], window: diagnose.Window) -> list[ChangeEvent]:
    """Record the versions that appeared with the anomaly as change events (once), then every change
    of the project from an hour before the anomaly to its end, the nearest first."""
    kinds = {"prompt_version": ChangeEvent.Kind.PROMPT, "policy_version": ChangeEvent.Kind.POLICY,
             "model": ChangeEvent.Kind.MODEL}
    for factor in factors:
        if factor["new_in_window"] and factor["dimension"] in kinds:
            ChangeEvent.objects.get_or_create(
                project_id=anomaly.project_id, key=f"data:{factor['dimension']}:{factor['value']}"[:300],
                defaults={"at": factor["first_seen"], "kind": kinds[factor["dimension"]], "source": "data",
                          "version": factor["value"][:200],
                          "description": f"first seen in the data: {factor['dimension']} {factor['value']}"[:500]})
    _price_changes(anomaly.project_id, window)
    candidates = ChangeEvent.objects.filter(project_id=anomaly.project_id, at__gte=window.start - CHANGES_BEFORE,
                                            at__lte=window.end)
    return sorted(candidates, key=lambda c: abs((c.at - window.start).total_seconds()))


def _price_changes(project_id: int, window: diagnose.Window) -> None:
    from apps.cost.models import PriceVersion

    for version in PriceVersion.objects.filter(project_id=project_id, created_at__gte=window.start - CHANGES_BEFORE,
                                               created_at__lte=window.end):
        ChangeEvent.objects.get_or_create(project_id=project_id, key=f"price:{version.pk}", defaults={
            "at": version.created_at, "kind": ChangeEvent.Kind.PRICE, "source": "system",
            "version": str(version.number), "description": f"prices changed: {version.reason}"[:500]})


def _examples(project_id: int, factors: list[dict], window: diagnose.Window) -> list[dict]:
    if not factors or factors[0]["dimension"] in ("policy", "policy_version", "rule", "phase", "component",
                                                  "input_tokens"):
        return []
    top = factors[0]
    rows = get_warehouse().run_query("anomaly.example_spans", project_id=project_id, start=window.start,
                                     end=window.end, dimension=top["dimension"], value=top["value"])
    return _plain(rows.to_dicts())


def _plain(value):
    """JSON-ready: datetimes as ISO text, numbers as numbers (non-finite ones as none)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, float) and not math.isfinite(value):
        return None             # JSON has no NaN: a metric with no points before the window, say
    return value


# -- incidents ---------------------------------------------------------------------------------------


def _attach(anomaly: Anomaly, end: datetime) -> Incident:
    """Join the project's incident active in the last half hour, or open one (and notify once)."""
    diagnosis = getattr(anomaly, "diagnosis", None)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(
            project_id=anomaly.project_id, state__in=[Incident.State.OPEN, Incident.State.ACKNOWLEDGED],
            last_activity_at__gte=end - GROUPING).order_by("-last_activity_at").first()
        created = incident is None
        if created:
            title = str(anomaly)
            incident = Incident.objects.create(project_id=anomaly.project_id, title=(title[:1].upper() + title[1:])[:300],
                                               summary=diagnosis.summary if diagnosis else "", opened_at=end,
                                               last_activity_at=end)
            _event(incident, end, "opened", f"incident opened: {anomaly}", {"anomaly": anomaly.pk})
        else:
            incident.last_activity_at = end
            incident.save(update_fields=["last_activity_at"])
        anomaly.incident = incident
        anomaly.save(update_fields=["incident"])
        _event(incident, end, "anomaly", f"{anomaly}: {anomaly.expected:.4g} → {anomaly.observed:.4g}",
               {"anomaly": anomaly.pk})
        if diagnosis:
            _event(incident, end, "diagnosis", diagnosis.summary[:500], {"diagnosis": diagnosis.pk})
        if created:
            _notify(incident, end)
    return incident


def _event(incident: Incident, at: datetime, kind: str, message: str, data: dict) -> IncidentEvent:
    event = IncidentEvent.objects.create(incident=incident, at=at, kind=kind, message=message[:500], data=data)
    if kind in ("opened", "acknowledged", "resolved"):
        announcement = {"type": "incident", "incident_id": incident.pk, "state": incident.state, "change": kind,
                        "title": incident.title, "summary": incident.summary[:300], "at": _plain(at)}
        transaction.on_commit(lambda: publish_event(incident.project_id, announcement))
    return event


def _notify(incident: Incident, now: datetime) -> None:
    if incident.notified_at is not None:
        return
    notify(incident.project_id, incident_notification(incident, now))
    incident.notified_at = now
    incident.save(update_fields=["notified_at"])
    _event(incident, now, "notified", "sent to the project's alert channels", {})


def incident_notification(incident: Incident, now: datetime) -> dict:
    project = incident.project
    base = settings.PUBLIC_URL.rstrip("/")
    stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": f"inferops-incident-{incident.pk}", "kind": "incident", "status": "firing", "severity": "page",
        "summary": f"{incident.title}: {incident.summary}"[:1000],
        "labels": {"project": project.slug, "incident": str(incident.pk), "severity": "page"},
        "project": {"id": project.pk, "name": project.name, "slug": project.slug},
        "slo": {"id": 0, "name": "", "objective": 0, "sli_kind": ""},
        "component": "anomaly detection", "details": {"incident": incident.pk, "opened_at": stamp},
        "episode": 0, "starts_at": stamp, "ends_at": None, "burn_rates": {}, "exemplars": [],
        "dedup_key": f"inferops/{project.slug}/incident/{incident.pk}",
        "url": f"{base}/api/v1/projects/{project.pk}/incidents/{incident.pk}", "link_text": "Incident in InferOps",
        "sent_at": stamp,
    }


def _close_recovered_incidents(project: Project, end: datetime) -> list[int]:
    closed = []
    for incident in Incident.objects.filter(project=project, state__in=[Incident.State.OPEN,
                                                                        Incident.State.ACKNOWLEDGED]):
        anomalies = incident.anomalies.all()
        if anomalies and all(a.state == Anomaly.State.RESOLVED for a in anomalies):
            incident.state, incident.resolved_at = Incident.State.RESOLVED, end
            incident.save(update_fields=["state", "resolved_at"])
            _event(incident, end, "resolved", "resolved: every anomaly recovered", {})
            closed.append(incident.pk)
    return closed


def incident_set_state(incident: Incident, state: str, user) -> Incident:
    """An SRE acknowledges or resolves an incident (resolving an acknowledged one, or reopening is
    not offered: a new anomaly opens a new incident)."""
    now = timezone.now()
    if state == Incident.State.ACKNOWLEDGED and incident.state == Incident.State.OPEN:
        incident.state, incident.acknowledged_at, incident.acknowledged_by = state, now, user
    elif state == Incident.State.RESOLVED and incident.state != Incident.State.RESOLVED:
        incident.state, incident.resolved_at, incident.resolved_by = state, now, user
    else:
        raise ValueError(f"an incident that is {incident.state} cannot become {state}")
    incident.save()
    _event(incident, now, state, f"{state} by {user.get_username()}", {"user": user.pk})
    return incident


# -- SLO burns ---------------------------------------------------------------------------------------

SLO_SYMPTOMS = {"availability": "errors", "latency": "latency", "ttft": "ttft", "tpot": "latency",
                "guardrail_block": "guardrail_blocks"}
BURN_WINDOW = timedelta(hours=1)       # the page alert's long window


def diagnose_slo_burn(event_id: int) -> Diagnosis | None:
    """Explain a firing SLO alert like an anomaly: the last hour of the SLO's scope against the six
    hours before. Run once per firing event (after it is committed)."""
    from apps.slo.models import AlertEvent

    event = AlertEvent.objects.select_related("alert__slo").filter(pk=event_id).first()
    if event is None or event.kind != AlertEvent.Kind.FIRING or Diagnosis.objects.filter(alert_event=event).exists():
        return None
    slo = event.alert.slo
    symptom = SLO_SYMPTOMS.get(slo.sli_kind, "errors")
    plural = {"services": "service", "endpoints": "endpoint", "models": "model", "tenants": "tenant", "hosts": "host"}
    scope = diagnose.Scope(**{plural[name]: values[0] for name, values in (slo.filters or {}).items()
                              if name in plural and isinstance(values, list) and len(values) == 1})
    window = diagnose.Window(event.at - BURN_WINDOW - HISTORY, event.at - BURN_WINDOW, event.at)
    factors = diagnose.factors(slo.project_id, symptom, window, scope)
    text = f"SLO {slo.name} burns its error budget ({event.alert.severity})"
    if factors:
        text += "; " + explanation(symptom, factors[0])
    return Diagnosis.objects.create(
        project_id=slo.project_id, alert_event=event, symptom=symptom,
        scope={k: v for k, v in vars(scope).items() if v}, baseline_start=window.baseline_start,
        window_start=window.start, window_end=window.end, summary=(text + ".")[:600], factors=_plain(factors),
        evidence={}, examples=_examples(slo.project_id, factors, window))
