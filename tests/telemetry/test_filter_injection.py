"""SQL injection attempts through every filter field of the read APIs (trace search, overview, GPU
fleet, cost report, decisions are in tests/audit): each is either refused with a clear 400 or bound
as a value that matches nothing, and the warehouse is unchanged afterwards."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.core.services import membership_set

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]

ATTEMPTS = ("' OR 1=1 --", "x') OR ('1'='1", "'; DROP TABLE spans; --", "{project_id:UInt64}", "1; SELECT 1",
            "\\' OR project_id != 0 --")
TEXT_FILTERS = ("service", "endpoint", "model", "provider", "tenant", "host")


@pytest.fixture
def reader(explore_project):
    user = get_user_model().objects.create_user("injector", password="pw-123456789")
    membership_set(explore_project, user, "admin")
    client = APIClient()
    client.force_authenticate(user)
    return client


def _spans(warehouse) -> int:
    return int(warehouse.admin_query("SELECT count() AS n FROM spans")["n"][0])


def test_every_trace_search_filter_binds_what_it_is_given(reader, explore_project, warehouse):
    base = f"/api/v1/projects/{explore_project.pk}/traces"
    before = _spans(warehouse)
    assert reader.get(base, {"range": "24h"}).data["traces"], "the unfiltered search finds traces"
    for attempt in ATTEMPTS:
        for field in TEXT_FILTERS:
            reply = reader.get(base, {"range": "24h", field: attempt})
            assert reply.status_code == 200 and reply.data["traces"] == [], (field, attempt)
        for attr in (f"gen_ai.request.model = {attempt}", f"{attempt} = x", f"tenant.id contains {attempt}"):
            reply = reader.get(base, {"range": "24h", "attr": attr})
            assert reply.status_code in (200, 400), (attr, reply.status_code)
            assert reply.status_code == 400 or reply.data["traces"] == [], attr
        for field in ("min_duration_ms", "max_tokens", "status", "sort", "order", "limit", "after", "start"):
            assert reader.get(base, {"range": "24h", field: attempt}).status_code == 400, (field, attempt)
    assert _spans(warehouse) == before


@pytest.mark.parametrize("path", ["overview", "gpus", "cost/report"])
def test_dashboard_and_report_filters_bind_what_they_are_given(reader, explore_project, warehouse, path):
    base = f"/api/v1/projects/{explore_project.pk}/{path}"
    before = _spans(warehouse)
    for attempt in ATTEMPTS:
        for field in (*TEXT_FILTERS, "range", "group_by", "start", "end", "step"):
            reply = reader.get(base, {field: attempt})
            assert reply.status_code in (200, 400), (path, field, attempt, reply.status_code)
    assert _spans(warehouse) == before
