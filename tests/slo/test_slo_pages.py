"""The SLO pages and the alerting page, on SLOs evaluated from data the ingest path wrote."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.alerts.models import Channel, Delivery
from apps.core.services import membership_set
from apps.slo.evaluation import slos_evaluate_all
from apps.slo.models import SLO
from apps.slo.services import slo_create
from tests.alerts.receivers import Receiver
from tests.slo.test_openslo import DOCUMENT as OPENSLO

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]



def member(project, role: str):
    user = get_user_model().objects.create_user(f"{role}-slo-pages", password="pw-123456789")
    membership_set(project, user, role)
    client, api = Client(), APIClient()
    client.force_login(user)
    api.force_authenticate(user)
    return client, api


@pytest.fixture
def evaluated(explore_project):
    slo = slo_create(explore_project, name="answers under 20 s", sli_kind="latency", threshold_ms=20_000,
                     objective="0.99", window="rolling_7d")
    slos_evaluate_all(timezone.now())
    return slo


def test_the_list_shows_sli_budget_exhaustion_and_a_sparkline(explore_project, evaluated):
    client, api = member(explore_project, "viewer")
    summary = api.get(f"/api/v1/projects/{explore_project.pk}/slos/summary").json()
    row = next(r for r in summary if r["id"] == evaluated.pk)
    assert 0 < row["evaluation"]["sli"] <= 1 and row["evaluation"]["budget_remaining"] <= 1
    assert "1h" in row["evaluation"]["burn_windows"] and row["sparkline"]["burn"]
    page = client.get(f"/projects/{explore_project.pk}/slos")
    assert page.status_code == 200 and "answers under 20 s" in page.content.decode()
    assert f'data-sparkline="{evaluated.pk}"' in page.content.decode()


def test_the_slo_page_has_its_history_thresholds_and_exemplar_links(explore_project, evaluated):
    client, api = member(explore_project, "auditor")
    history = api.get(f"/api/v1/projects/{explore_project.pk}/slos/{evaluated.pk}/history?range=1h").json()
    assert history["evaluations"] and set(history["figures"]) == {"sli", "budget", "burn"}
    assert history["thresholds"]["1h"] == pytest.approx(14.4 * 7 / 30, rel=0.01)
    assert all(x["duration_ms"] > 20_000 or x["error"] for x in history["exemplars"])
    assert client.get(f"/projects/{explore_project.pk}/slos/{evaluated.pk}").status_code == 200


def test_slos_are_defined_and_imported_from_the_page_by_sres_only(explore_project):
    sre, _ = member(explore_project, "sre")
    created = sre.post(f"/projects/{explore_project.pk}/slos", {
        "action": "create", "name": "ttft fast", "sli_kind": "ttft", "target": "llm_calls", "threshold_ms": "750",
        "objective": "0.95", "window": "rolling_28d", "budgeting": "occurrences", "models": "gpt-4o, o3-mini"})
    assert created.status_code == 200, created.context["error"]
    slo = SLO.objects.get(project=explore_project, name="ttft fast")
    assert slo.filters == {"models": ["gpt-4o", "o3-mini"]} and slo.threshold_ms == 750
    imported = sre.post(f"/projects/{explore_project.pk}/slos", {"action": "import", "yaml": OPENSLO})
    assert imported.status_code == 200 and SLO.objects.filter(name="Chat TTFT under 500 ms").exists()
    bad = sre.post(f"/projects/{explore_project.pk}/slos", {"action": "create", "name": "x", "sli_kind": "latency",
                                                            "target": "requests", "objective": "1.5"})
    assert bad.status_code == 400 and "objective" in bad.content.decode()
    viewer, _ = member(explore_project, "viewer")
    refused = viewer.post(f"/projects/{explore_project.pk}/slos", {"action": "import", "yaml": OPENSLO})
    assert refused.status_code == 400 and "only admins and SREs" in refused.content.decode()


def test_the_alerting_page_adds_a_signed_webhook_sends_a_test_and_logs_it(explore_project):
    receiver = Receiver()
    try:
        client, _ = member(explore_project, "admin")
        page = client.post(f"/projects/{explore_project.pk}/alerting", {
            "action": "create", "name": "on-call hook", "kind": "webhook", "url": receiver.url, "severities": ["page"]})
        channel = Channel.objects.get(project=explore_project, name="on-call hook")
        assert channel.config["secret"] in page.content.decode() and channel.severities == ["page"]
        tested = client.post(f"/projects/{explore_project.pk}/alerting", {"action": "test", "channel": channel.pk})
        assert tested.status_code == 200 and "delivered" in tested.content.decode()
        assert receiver.requests and receiver.requests[0].headers["webhook-signature"].startswith("v1,")
        assert Delivery.objects.get(channel=channel).is_test
        log = client.get(f"/projects/{explore_project.pk}/alerting").content.decode()
        assert "on-call hook" in log and "test" in log
        bad = client.post(f"/projects/{explore_project.pk}/alerting", {"action": "create", "name": "pd",
                                                                       "kind": "pagerduty", "routing_key": "short"})
        assert bad.status_code == 400 and "32 letters and digits" in bad.content.decode()
    finally:
        receiver.close()
