"""Incident pages: the project's incidents, and one incident with its timeline, anomalies, ranked
factors (charted against the baseline), GPU evidence, changes and example traces."""

from datetime import timedelta

from django.shortcuts import get_object_or_404, redirect, render

from apps.anomaly import charts, services
from apps.anomaly.models import Incident
from apps.core.pages import project_page
from warehouse import get_warehouse

OPERATORS = frozenset({"admin", "sre"})


@project_page()
def incidents(request, project):
    rows = Incident.objects.filter(project=project).prefetch_related("anomalies")[:200]
    return render(request, "anomaly/incidents.html", {"incidents": rows})


@project_page()
def incident(request, project, incident_id: int):
    item = get_object_or_404(Incident, pk=incident_id, project=project)
    error = ""
    if request.method == "POST":
        if request.role not in OPERATORS:
            error = "only admins and SREs acknowledge or resolve incidents"
        else:
            try:
                services.incident_set_state(item, request.POST.get("state", ""), request.user)
                return redirect("page-incident", project.pk, item.pk)
            except ValueError as exc:
                error = str(exc)
    anomalies = list(item.anomalies.select_related("diagnosis").order_by("opened_at"))
    diagnoses = [a.diagnosis for a in anomalies if getattr(a, "diagnosis", None)]
    return render(request, "anomaly/incident.html", {
        "incident": item, "anomalies": anomalies, "diagnoses": diagnoses, "events": item.events.all(),
        "figures": {str(d.pk): charts.factors_figure(d) for d in diagnoses}, "lanes": _lanes(project, diagnoses),
        "can_act": request.role in OPERATORS, "error": error}, status=400 if error else 200)


def _lanes(project, diagnoses) -> dict[str, dict]:
    """GPU lanes of the hosts the diagnoses implicate, from an hour before each anomaly to its end."""
    lanes = {}
    for d in diagnoses:
        hosts = sorted(d.evidence.get("hosts", {}))
        if not hosts:
            continue
        rows = get_warehouse().run_query("anomaly.series_hosts", project_id=project.pk,
                                         start=d.window_start - timedelta(hours=1), end=d.window_end)
        for host in hosts:
            part = rows.filter(rows["scope_value"] == host)
            if part.height:
                lanes[f"{d.pk}:{host}"] = charts.host_lane(host, part, d.window_start)
    return lanes
