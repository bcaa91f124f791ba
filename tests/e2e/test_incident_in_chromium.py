"""An SRE in headless Chromium on an incident the diagnosis built from the shared simulator data: the
incidents list, the incident page with its timeline, ranked factors charted against the baseline and
example traces linked to the waterfall, and acknowledging it. Screenshots in artifacts/screenshots/."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from apps.anomaly import services
from apps.anomaly.models import Anomaly
from apps.core.services import membership_set
from tests.e2e.conftest import screenshot
from tests.e2e.test_explore_in_chromium import PASSWORD, sign_in

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incident(explore_project, explore_dataset):
    """The slow-tool incident of the dataset, found as the scan would: an anomaly, its diagnosis, an incident."""
    user = get_user_model().objects.create_user("browser-oncall", password=PASSWORD)
    membership_set(explore_project, user, "sre")
    truth = next(i for i in explore_dataset.truth["incidents"] if i["kind"] == "slow_tool")
    start = datetime.fromisoformat(truth["start"].replace("Z", "+00:00")).astimezone(UTC)
    end = datetime.fromisoformat(truth["end"].replace("Z", "+00:00")).astimezone(UTC)
    anomaly = Anomaly.objects.create(project=explore_project, series="latency_p95", dimension="*", value="*",
                                     method="robust", direction="up", started_at=start, opened_at=end,
                                     last_seen_at=end, observed=12000.0, expected=3000.0, score=8.0, peak=15000.0)
    return services.explain(anomaly, end), truth      # what scan_project does for a new anomaly


def test_an_sre_reads_the_diagnosis_and_acknowledges_the_incident(page, web_server, incident, explore_project):
    item, truth = incident
    sign_in(page, web_server, "browser-oncall")
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/overview")
    page.click("nav.sections >> text=Incidents")
    page.click(f"[data-incidents] >> text={item.title}")
    page.wait_for_selector("[data-figure] .main-svg")
    diagnosis = item.anomalies.get().diagnosis
    first = page.locator("[data-factors] tbody tr").first.locator("th").inner_text()
    assert first == f"{diagnosis.factors[0]['dimension']} {diagnosis.factors[0]['value']}"
    assert f"tool {truth['target']['tool']}" in page.locator("[data-factors]").inner_text()
    assert page.locator("[data-timeline] tr").count() >= 3
    assert page.locator("[data-examples] a").count() > 0
    screenshot(page, "40-incident")
    href = page.locator("[data-examples] a").first.get_attribute("href")
    assert href.startswith(f"/projects/{explore_project.pk}/traces/")
    page.click("text=Acknowledge")
    page.wait_for_selector("[data-state]:has-text('acknowledged')")
    item.refresh_from_db()
    assert item.state == "acknowledged" and item.acknowledged_by.username == "browser-oncall"
    page.goto(f"{web_server.url}{href}")
    page.wait_for_selector("[data-waterfall], .waterfall, [data-trace]", timeout=15000)
    screenshot(page, "41-incident-example-trace")
    assert datetime.now(UTC) - item.opened_at < timedelta(days=1)
