"""Anomaly markers on the overview charts: where an anomaly of a charted series began, a dotted line
with its description (escaped) on hover; the API also lists the anomalies of the window."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from apps.anomaly.models import Anomaly
from apps.core.services import membership_set

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]


def test_the_overview_marks_where_anomalies_began(explore_project):
    started = timezone.now() - timedelta(minutes=20)
    common = {"project": explore_project, "method": "robust", "direction": "up", "started_at": started,
              "opened_at": started, "last_seen_at": started, "observed": 900.0, "expected": 300.0, "score": 9.0,
              "peak": 950.0}
    Anomaly.objects.create(series="latency_p95", dimension="endpoint", value="<b>/v1/chat</b>", **common)
    Anomaly.objects.create(series="error_rate", dimension="*", value="*", state="resolved",
                           resolved_at=started - timedelta(days=2), **common | {"started_at": started - timedelta(days=3)})
    user = get_user_model().objects.create_user("marker-viewer", password="pw-123456789")
    membership_set(explore_project, user, "viewer")
    client = APIClient()
    client.force_authenticate(user)
    body = client.get(f"/api/v1/projects/{explore_project.pk}/overview", {"range": "1h"}).data
    assert [a["series"] for a in body["anomalies"]] == ["latency_p95"], "only what overlaps the window"
    for name in ("latency", "latency_by_group"):
        layout = body["figures"][name]["layout"]
        assert layout["shapes"][-1]["x0"] == started.isoformat()
        assert "&lt;b&gt;/v1/chat&lt;/b&gt;" in layout["annotations"][-1]["hovertext"]
    assert not body["figures"]["errors"]["layout"].get("annotations")
