"""The accounting API: personas (member, outsider, read key, ingest key) and the OpenAPI schema."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.core.models import KeyKind
from apps.core.services import api_key_create, membership_set, project_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clickhouse]


@pytest.fixture
def member(project):
    user = get_user_model().objects.create_user("sre-member", password="pw-123456789")
    membership_set(project, user, "sre")
    return user


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user("outsider", password="pw-123456789")


def _get(client, project):
    return client.get(f"/api/v1/projects/{project.pk}/ingest/accounting")


def test_member_sees_accounting(warehouse, project, member):
    client = APIClient()
    client.force_authenticate(member)
    reply = _get(client, project)
    assert reply.status_code == 200
    assert [row["signal"] for row in reply.json()["signals"]] == ["traces", "metrics", "logs"]


def test_outsider_cannot_tell_the_project_exists(warehouse, project, outsider):
    client = APIClient()
    client.force_authenticate(outsider)
    assert _get(client, project).status_code == 404


def test_anonymous_is_refused(project):
    assert _get(APIClient(), project).status_code in (401, 403)


def test_read_key_is_scoped_to_its_project(warehouse, project):
    other = project_create("other-project")
    key = api_key_create(other, kind=KeyKind.READ, role="viewer").plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert _get(client, other).status_code == 200
    assert _get(client, project).status_code == 404


def test_ingest_keys_cannot_read(project):
    key = api_key_create(project, kind=KeyKind.INGEST).plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert _get(client, project).status_code == 401


@pytest.mark.parametrize("query", ["?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", "?start=yesterday",
                                   "?start=2020-01-01T00:00:00Z&end=2026-01-01T00:00:00Z"])
def test_bad_windows_get_a_precise_error(warehouse, project, member, query):
    client = APIClient()
    client.force_authenticate(member)
    reply = client.get(f"/api/v1/projects/{project.pk}/ingest/accounting{query}")
    assert reply.status_code == 400


def test_openapi_schema_lists_the_endpoint(member):
    client = APIClient()
    client.force_authenticate(member)
    reply = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert reply.status_code == 200
    assert "/api/v1/projects/{project_id}/ingest/accounting" in reply.json()["paths"]
