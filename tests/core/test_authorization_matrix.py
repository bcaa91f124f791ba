"""Every page and API endpoint × every role × own project / another project, plus anonymous callers and
API keys. The table below is the specification; a guard test fails when a route is missing from it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from apps.alerts.services import channel_create
from apps.core.models import KeyKind
from apps.core.services import api_key_create, membership_set
from apps.slo.services import slo_create
from apps.telemetry.selectors import trace_view

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]

ROLES = ("admin", "sre", "finance", "auditor", "viewer")
ALL = frozenset(ROLES)
CONFIG = frozenset({"admin", "sre"})
ADMIN = frozenset({"admin"})
FINANCE = frozenset({"admin", "finance"})
AUDIT = frozenset({"admin", "auditor"})

# url name → (extra URL arguments, query string, roles that may GET it)
PAGES = {
    "page-overview": ({}, "", ALL), "page-gpus": ({}, "", ALL), "page-traces": ({}, "", ALL),
    "page-trace": ({"trace_id": "TRACE"}, "", ALL), "page-live": ({}, "", ALL), "page-settings": ({}, "", CONFIG),
    "page-slos": ({}, "", ALL), "page-slo": ({"slo_id": "SLO"}, "", ALL), "page-alerting": ({}, "", CONFIG),
    "page-cost": ({}, "", FINANCE), "page-cost-report": ({}, "", FINANCE), "page-cost-budgets": ({}, "", FINANCE),
    "page-cost-prices": ({}, "q=gpt", FINANCE), "page-audit": ({}, "action=trace", AUDIT),
    "page-audit-decisions": ({}, "verdict=deny", AUDIT),
    "page-incidents": ({}, "", ALL), "page-incident": ({"incident_id": "INCIDENT"}, "", ALL),
}
APIS = {
    "ingest-accounting": ({}, "", ALL), "api-overview": ({}, "range=1h", ALL), "api-dimensions": ({}, "", ALL),
    "api-overview-csv": ({}, "range=1h", ALL), "api-gpus-csv": ({}, "range=15m", ALL),
    "api-gpus": ({}, "range=15m", ALL), "api-gpu-spans": ({}, "host=gpu-h100-01&range=15m", ALL),
    "api-traces": ({}, "range=15m", ALL), "api-traces-csv": ({}, "range=15m", ALL), "api-trace": ({"trace_id": "TRACE"}, "", ALL),
    "api-span": ({"trace_id": "TRACE", "span_id": "SPAN"}, "", ALL),
    "slo-list": ({}, "", ALL), "slo-openslo": ({}, "", ALL), "slo-detail": ({"slo_id": "SLO"}, "", ALL),
    "slo-status": ({"slo_id": "SLO"}, "", ALL), "slo-summary": ({}, "", ALL),
    "slo-history": ({"slo_id": "SLO"}, "range=1h", ALL),
    "channel-list": ({}, "", CONFIG),
    "delivery-log": ({}, "", CONFIG), "api-keys": ({}, "", CONFIG), "api-members": ({}, "", ADMIN),
    "api-cost-report": ({}, "group_by=model", FINANCE), "api-cost-attribution": ({}, "", FINANCE),
    "api-cost-agent-runs": ({}, "", FINANCE), "api-cost-ledger": ({}, "output=csv", FINANCE),
    "api-cost-budgets": ({}, "", FINANCE), "api-cost-overrides": ({}, "", FINANCE),
    "api-cost-gpu-prices": ({}, "", FINANCE), "api-cost-price-versions": ({}, "", FINANCE),
    "api-cost-catalogue": ({}, "q=claude", FINANCE), "api-cost-recomputes": ({}, "", FINANCE),
    "api-cost-attribution-keys": ({}, "", FINANCE),
    "api-audit-records": ({}, "outcome=success", AUDIT), "api-audit-export": ({}, "output=jsonl", AUDIT),
    "api-audit-verification": ({}, "", AUDIT), "api-audit-decisions": ({}, "policy=pii", AUDIT),
    "api-audit-decisions-export": ({}, "output=bundle", AUDIT),
    "api-incidents": ({}, "state=open", ALL), "api-diagnoses": ({}, "", ALL), "api-changes": ({}, "", ALL),
    "api-incident": ({"incident_id": "INCIDENT"}, "", ALL), "api-diagnosis": ({"diagnosis_id": "DIAGNOSIS"}, "", ALL),
}
# Routes that only take writes; their role checks are in test_writes_by_role.
WRITE_ONLY = {"channel-test", "channel-detail", "api-key", "api-member", "api-cost-budget", "api-cost-override",
              "api-cost-gpu-price", "api-incident-state"}


@pytest.fixture
def world(explore_project, explore_dataset, project):
    root = next(s for s in trace_view(explore_project.pk, explore_dataset.xss_trace_id)["spans"] if not s["parent_id"])
    ids = {"TRACE": explore_dataset.xss_trace_id, "SPAN": root["span_id"],
           "SLO": slo_create(explore_project, name="avail", sli_kind="availability", objective="0.99").pk,
           "CHANNEL": channel_create(explore_project, name="hook", kind="webhook",
                                     config={"url": "http://127.0.0.1:9/hook"}).pk,
           "KEY": api_key_create(explore_project, kind=KeyKind.INGEST, name="existing").key.pk,
           **_incident_and_diagnosis(explore_project)}
    users = {}
    for role in ROLES:
        users[role] = get_user_model().objects.create_user(f"matrix-{role}", password="pw-123456789")
        membership_set(explore_project, users[role], role)
    return {"own": explore_project, "other": project, "ids": ids, "users": users}


def _incident_and_diagnosis(project) -> dict:
    from django.utils import timezone

    from apps.anomaly.models import Diagnosis, Incident

    now = timezone.now()
    incident = Incident.objects.create(project=project, title="p95 latency of the project", opened_at=now,
                                       last_activity_at=now)
    diagnosis = Diagnosis.objects.create(project=project, symptom="latency", baseline_start=now, window_start=now,
                                         window_end=now, summary="…")
    return {"INCIDENT": incident.pk, "DIAGNOSIS": diagnosis.pk}


def url(world, name: str, where: str) -> str:
    extra, query, _ = {**PAGES, **APIS}[name]
    kwargs = {"project_id": world[where].pk, **{k: world["ids"][v] for k, v in extra.items()}}
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


def test_every_project_route_is_in_the_matrix():
    def names(patterns):
        for p in patterns:
            yield from names(p.url_patterns) if hasattr(p, "url_patterns") else [(str(p.pattern), p.name)]
    routed = {name for pattern, name in names(get_resolver().url_patterns) if "<int:project_id>" in pattern}
    assert routed == set(PAGES) | set(APIS) | WRITE_ONLY


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role_and_project(world, role):
    client = Client()
    client.force_login(world["users"][role])
    got = {name: (client.get(url(world, name, "own")).status_code, client.get(url(world, name, "other")).status_code)
           for name in PAGES}
    assert got == {name: (200 if role in roles else 403, 404) for name, (_, _, roles) in PAGES.items()}


@pytest.mark.parametrize("role", ROLES)
def test_api_by_role_and_project(world, role):
    client = APIClient()
    client.force_authenticate(world["users"][role])
    got = {name: (client.get(url(world, name, "own")).status_code, client.get(url(world, name, "other")).status_code)
           for name in APIS}
    assert got == {name: (200 if role in roles else 403, 404) for name, (_, _, roles) in APIS.items()}


def test_anonymous_callers_are_sent_to_sign_in_or_refused(world):
    pages = {name: Client().get(url(world, name, "own")) for name in PAGES}
    assert {n: (r.status_code, r.url.split("?")[0]) for n, r in pages.items()} == {n: (302, "/accounts/login/")
                                                                                for n in PAGES}
    assert {name: APIClient().get(url(world, name, "own")).status_code for name in APIS} == {n: 401 for n in APIS}


def test_read_keys_read_their_project_only_and_ingest_keys_cannot_read(world):
    viewer_key = api_key_create(world["own"], kind=KeyKind.READ, role="viewer", name="ro").plaintext
    ingest_key = api_key_create(world["own"], kind=KeyKind.INGEST, name="w").plaintext
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {viewer_key}")
    writer = APIClient(HTTP_AUTHORIZATION=f"Bearer {ingest_key}")
    assert reader.get(url(world, "api-overview", "own")).status_code == 200
    assert reader.get(url(world, "api-overview", "other")).status_code == 404
    assert reader.get(url(world, "api-keys", "own")).status_code == 403
    assert reader.post(url(world, "slo-list", "own"), {}, format="json").status_code == 403
    assert writer.get(url(world, "api-overview", "own")).status_code == 401
    assert reader.get("/api/v1/projects").status_code == 403, "a read key is scoped to one project"


@pytest.mark.parametrize("role", ROLES)
def test_writes_by_role(world, role):
    client = APIClient()
    client.force_authenticate(world["users"][role])
    project_id = world["own"].pk
    ingest = client.post(f"/api/v1/projects/{project_id}/keys", {"name": "k", "kind": "ingest"}, format="json")
    read = client.post(f"/api/v1/projects/{project_id}/keys", {"name": "r", "kind": "read", "role": "viewer"},
                       format="json")
    invite = client.post(f"/api/v1/projects/{project_id}/members", {"role": "viewer"}, format="json")
    channel = f"/api/v1/projects/{project_id}/channels/{world['ids']['CHANNEL']}"
    test_send = client.post(f"{channel}/test").status_code != 403
    key_id = ingest.data["id"] if ingest.status_code == 201 else world["ids"]["KEY"]
    revoke = client.delete(f"/api/v1/projects/{project_id}/keys/{key_id}").status_code
    member = f"/api/v1/projects/{project_id}/members/{world['users']['viewer'].pk}"
    demote = client.patch(member, {"role": "auditor"}, format="json").status_code
    remove = client.delete(member).status_code
    delete = client.delete(channel).status_code
    assert (ingest.status_code, read.status_code, invite.status_code, test_send, revoke, demote, remove, delete) == {
        "admin": (201, 201, 201, True, 204, 200, 204, 204), "sre": (201, 403, 403, True, 204, 403, 403, 204),
    }.get(role, (403, 403, 403, False, 403, 403, 403, 403))
    incident = f"/api/v1/projects/{project_id}/incidents/{world['ids']['INCIDENT']}/state"
    acknowledge = client.post(incident, {"state": "acknowledged"}, format="json").status_code
    change = client.post(f"/api/v1/projects/{project_id}/changes", {"kind": "deployment", "service": "api",
                                                                     "version": "v2"}, format="json").status_code
    assert (acknowledge, change) == ((200, 201) if role in ("admin", "sre") else (403, 403))
