"""The SLO API: every role × own project / another project, read keys, and precise refusals."""

import pytest
from rest_framework.test import APIClient

from apps.core.models import KeyKind
from apps.core.services import api_key_create, project_create
from apps.slo import services
from tests.personas import client_for

pytestmark = pytest.mark.django_db
ROLES = ("admin", "sre", "finance", "auditor", "viewer")
VALID = {"name": "chat availability", "sli_kind": "availability", "objective": 0.995,
         "filters": {"services": ["support-agent"]}}



@pytest.fixture
def slo(project):
    return services.slo_create(project, **VALID)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_own_projects_slos(project, slo, role):
    client = client_for(project, role)
    assert client.get(f"/api/v1/projects/{project.pk}/slos").json()[0]["name"] == "chat availability"
    assert client.get(f"/api/v1/projects/{project.pk}/slos/{slo.pk}/status").status_code == 200


@pytest.mark.parametrize("role, status", [("admin", 201), ("sre", 201), ("finance", 403), ("auditor", 403),
                                          ("viewer", 403)])
def test_only_admins_and_sres_define_slos(project, role, status):
    reply = client_for(project, role).post(f"/api/v1/projects/{project.pk}/slos", VALID, format="json")
    assert reply.status_code == status


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_another_projects_slos(project, slo, role):
    other = project_create("someone-else")
    client = client_for(other, role)
    for method, body in (("get", None), ("patch", {"objective": 0.9}), ("delete", None)):
        reply = getattr(client, method)(f"/api/v1/projects/{project.pk}/slos/{slo.pk}", body, format="json")
        assert reply.status_code == 404
    assert client.get(f"/api/v1/projects/{other.pk}/slos/{slo.pk}").status_code == 404   # not via its own id


def test_read_keys_read_but_never_write(project, slo):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(project, kind=KeyKind.READ, role='admin').plaintext}")
    assert client.get(f"/api/v1/projects/{project.pk}/slos").status_code == 200
    reply = client.post(f"/api/v1/projects/{project.pk}/slos", {**VALID, "name": "x"}, format="json")
    assert reply.status_code == 403 and "read API keys cannot change configuration" in reply.json()["detail"]


def test_anonymous_is_refused(project, slo):
    assert APIClient().get(f"/api/v1/projects/{project.pk}/slos").status_code in (401, 403)


@pytest.mark.parametrize("change, message", [
    ({"objective": 1}, "objective: 1 must be strictly between 0 and 1"),
    ({"objective": "99.5"}, "objective: 99.5 must be strictly between 0 and 1"),
    ({"objective": "abc"}, "objective: 'abc' is not a number"),
    ({"objective": "NaN"}, "objective: NaN must be strictly between 0 and 1"),
    ({"sli_kind": "latency"}, "threshold_ms: a latency SLI needs a threshold in milliseconds"),
    ({"sli_kind": "latency", "threshold_ms": 333}, "threshold_ms: 333 is not a rollup bound"),
    ({"sli_kind": "ttft", "threshold_ms": 500}, "target: TTFT and time-per-output-token SLIs measure model calls"),
    ({"threshold_ms": 500}, "threshold_ms: a availability SLI has no threshold"),
    ({"filters": {"hosts": ["a"]}}, "filters: unknown keys hosts"),
    ({"filters": {"models": "gpt-4o"}}, "filters.models: a list of non-empty strings"),
    ({"window": "rolling_90d"}, "window: 'rolling_90d' is not one of"),
    ({"budgeting": "timeslices"}, "timeslice_target: None is not a number"),
    ({"alert_windows": [{"severity": "page", "long_s": 300, "short_s": 3600, "factor": 2}]},
     "alert_windows[0]: whole minutes with 60 ≤ short_s < long_s"),
    ({"name": ""}, "name: 1–63 characters"),
    ({"enabled": "abc"}, "enabled: true or false"),
    ({"colour": "red"}, "unknown fields: colour"),
])
def test_bad_definitions_are_refused_with_the_field_and_the_reason(project, change, message):
    reply = client_for(project, "sre").post(f"/api/v1/projects/{project.pk}/slos", {**VALID, **change}, format="json")
    assert reply.status_code == 400
    assert message in reply.json()["detail"]


def test_names_are_unique_per_project(project, slo):
    reply = client_for(project, "sre").post(f"/api/v1/projects/{project.pk}/slos", VALID, format="json")
    assert reply.status_code == 400 and "already exists" in reply.json()["detail"]


def test_an_sre_changes_and_deletes_an_slo(project, slo):
    client = client_for(project, "sre")
    changed = client.patch(f"/api/v1/projects/{project.pk}/slos/{slo.pk}", {"objective": "0.99"}, format="json")
    assert changed.status_code == 200 and changed.json()["objective"] == 0.99
    assert client.delete(f"/api/v1/projects/{project.pk}/slos/{slo.pk}").status_code == 204
    assert client.get(f"/api/v1/projects/{project.pk}/slos").json() == []


def test_the_slo_endpoints_are_in_the_openapi_schema(project):
    schema = client_for(project, "viewer").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/projects/{project_id}/slos", "/api/v1/projects/{project_id}/slos/{slo_id}/status"} <= set(schema["paths"])
