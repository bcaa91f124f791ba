"""The channels API: admins and SREs only, credentials shown once, a test action and the delivery log."""

import pytest
from rest_framework.test import APIClient

from apps.core.models import KeyKind
from apps.core.services import api_key_create, project_create
from tests.alerts.receivers import Receiver
from tests.personas import client_for

pytestmark = pytest.mark.django_db(transaction=True)



@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.mark.parametrize("role, status", [("admin", 201), ("sre", 201), ("finance", 403), ("auditor", 403),
                                          ("viewer", 403)])
def test_only_admins_and_sres_configure_channels(project, receiver, role, status):
    client = client_for(project, role)
    body = {"name": "ops hook", "kind": "webhook", "config": {"url": receiver.url}}
    assert client.post(f"/api/v1/projects/{project.pk}/channels", body, format="json").status_code == status
    assert client.get(f"/api/v1/projects/{project.pk}/channels").status_code == (200 if status == 201 else 403)


def test_a_signing_secret_is_shown_once_and_never_listed(project, receiver):
    client = client_for(project, "sre")
    created = client.post(f"/api/v1/projects/{project.pk}/channels",
                          {"name": "ops hook", "kind": "webhook", "config": {"url": receiver.url}}, format="json").json()
    assert created["signing_secret"].startswith("whsec_")
    listed = client.get(f"/api/v1/projects/{project.pk}/channels").json()
    assert "whsec_" not in str(listed) and listed[0]["target"] == f"127.0.0.1 …{created['signing_secret'][-4:]}"


def test_send_test_notification_and_read_the_delivery_log(project, receiver):
    client = client_for(project, "admin")
    created = client.post(f"/api/v1/projects/{project.pk}/channels",
                          {"name": "pd", "kind": "pagerduty", "config": {"url": receiver.url, "routing_key": "K" * 32}},
                          format="json").json()
    reply = client.post(f"/api/v1/projects/{project.pk}/channels/{created['id']}/test")
    assert reply.status_code == 200 and reply.json()["status"] == "delivered"
    assert receiver.requests[0].json()["payload"]["summary"].startswith("[test]")
    [logged] = client.get(f"/api/v1/projects/{project.pk}/deliveries").json()
    assert logged["is_test"] and logged["log"][0]["status_code"] == 200


def test_bad_configuration_is_a_400_with_the_reason(project):
    reply = client_for(project, "sre").post(f"/api/v1/projects/{project.pk}/channels",
                                            {"name": "pd", "kind": "pagerduty", "config": {"routing_key": "x"}},
                                            format="json")
    assert reply.status_code == 400 and "32 letters and digits" in reply.json()["detail"]


def test_read_keys_and_other_projects_cannot_touch_channels(project, receiver):
    key = api_key_create(project, kind=KeyKind.READ, role="admin").plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {"name": "x", "kind": "slack", "config": {"url": receiver.url}}
    assert client.post(f"/api/v1/projects/{project.pk}/channels", body, format="json").status_code == 403
    outsider = client_for(project_create("elsewhere"), "admin")
    assert outsider.get(f"/api/v1/projects/{project.pk}/channels").status_code == 404
