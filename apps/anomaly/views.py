"""Incident pages: the project's incidents, and one incident with its timeline, anomalies, ranked
factors (charted against the baseline), GPU evidence, changes and example traces."""

from django.shortcuts import get_object_or_404, redirect, render

from apps.anomaly import charts, selectors, services
from apps.anomaly.models import Incident
from apps.core.pages import project_page

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
        "figures": {str(d.pk): charts.factors_figure(d) for d in diagnoses}, "lanes": selectors.gpu_lanes(project.pk, diagnoses),
        "can_act": request.role in OPERATORS, "error": error}, status=400 if error else 200)

