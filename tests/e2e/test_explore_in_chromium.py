"""An SRE's first minutes, in headless Chromium against the real app: sign in, the overview, a new time
range, traces filtered by an attribute, one trace's waterfall (collapse, expand, critical path, GPU lane),
and hostile span text shown as text. Screenshots are kept in artifacts/screenshots/."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model

from apps.core.services import membership_set
from tests.datasets import XSS_NAME, XSS_VALUE
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-123456789-browser"


@pytest.fixture
def sre(explore_project):
    user = get_user_model().objects.create_user("browser-sre", password=PASSWORD)
    membership_set(explore_project, user, "sre")
    return user


def sign_in(page, web_server, username: str) -> None:
    page.goto(f"{web_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{web_server.url}/")


def loaded(page, what: str) -> None:
    """Wait until the page drew its data; on failure, say what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(f"body[data-loaded={what}]", timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail(f"{what} did not load at {page.url}: {page.locator('[data-status]').inner_text()!r} "
                    f"{page.problems}")


def test_overview_time_range_trace_search_and_waterfall(page, web_server, sre, explore_project, explore_dataset):
    sign_in(page, web_server, "browser-sre")
    page.click(f"text={explore_project.name}")
    loaded(page, "overview")
    assert page.locator(".tile").count() >= 8
    assert page.locator("[data-chart=rate] .main-svg").count() > 0, "Plotly drew the requests chart"
    screenshot(page, "01-overview")

    page.click("[data-ranges] button[data-range='6h']")
    loaded(page, "overview")
    assert parse_qs(urlparse(page.url).query)["range"] == ["6h"]
    assert page.locator("[data-window-label]").inner_text() == "last 6h · UTC"
    screenshot(page, "02-overview-6h")

    tenant = max(explore_dataset.truth["generated"]["traces_by_tenant"].items(), key=lambda kv: kv[1])[0]
    page.click("nav.sections >> text=Traces")
    loaded(page, "traces")
    page.fill("[data-attr-list] input", "gen_ai.provider.name = vllm")
    page.click("[data-attr-add]")
    page.locator("[data-attr-list] input").nth(1).fill(f"tenant.id = {tenant}")
    page.click("[data-search] button[type=submit]")
    loaded(page, "traces")
    assert parse_qs(urlparse(page.url).query)["attr"] == ["gen_ai.provider.name = vllm", f"tenant.id = {tenant}"]
    rows = page.locator("[data-results] tbody tr")
    assert rows.count() > 0
    screenshot(page, "03-traces-filtered")

    rows.first.locator("a").click()
    loaded(page, "trace")
    all_rows = page.locator(".wf-row").count()
    assert all_rows > 2 and page.locator(".wf-row.critical").count() > 0
    assert page.locator(".wf-row.critical .critical-mark").count() > 0
    page.locator(".wf-row").first.locator(".wf-toggle").click()
    assert page.locator(".wf-row").count() == 1, "collapsing the root hides its subtree"
    page.locator(".wf-row").first.locator(".wf-toggle").click()
    assert page.locator(".wf-row").count() == all_rows
    lane = page.locator("[data-lane]").first
    lane.locator(".main-svg").first.wait_for()
    assert page.evaluate("document.querySelector('[data-lane]').data.length") > 0, "the GPU lane has series"
    page.locator(".wf-row.wf-kind-llm").first.click()
    page.wait_for_selector("[data-detail] table.attrs tr")
    # The detail panel: typed facts for an LLM call, then the raw attributes of whichever dialect sent it.
    assert "Model" in page.locator("[data-detail] dl.facts").inner_text()
    assert page.locator("[data-detail] table.attrs tr").count() > 5
    screenshot(page, "04-trace-waterfall")
    assert page.problems == []


def test_hostile_span_text_is_shown_as_text_and_never_runs(page, web_server, sre, explore_project, explore_dataset):
    sign_in(page, web_server, "browser-sre")
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/traces?range=24h&attr=tenant.id%20%3D%20xss-tenant")
    loaded(page, "traces")
    assert page.locator("[data-results] tbody a").first.inner_text() == XSS_NAME
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/traces/{explore_dataset.xss_trace_id}")
    loaded(page, "trace")
    page.locator(".wf-row").first.click()
    page.wait_for_selector("[data-detail] table.attrs tr")
    screenshot(page, "05-hostile-text")
    assert page.locator("[data-trace-title]").inner_text() == XSS_NAME
    assert XSS_VALUE in page.locator("[data-detail]").inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator("main script, main img, main iframe, main b, main u, main i").count() == 0


def test_the_live_tail_connects(page, web_server, sre, explore_project):
    sign_in(page, web_server, "browser-sre")
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/live")
    page.wait_for_selector("[data-live-state].on", timeout=15_000)
    assert page.locator("[data-live-state]").inner_text() == "● live"


def test_first_run_a_new_project_shows_how_to_send_data_and_issues_a_key(page, web_server):
    get_user_model().objects.create_user("browser-new", password=PASSWORD)
    sign_in(page, web_server, "browser-new")
    page.fill("input[name=name]", "brand new service")
    page.click("text=Create project")
    loaded(page, "overview")
    panel = page.locator("[data-empty]")
    assert panel.is_visible()
    text = panel.inner_text()
    assert ":4318" in text and "OTEL_EXPORTER_OTLP_HEADERS" in text and "otlphttp/inferops" in text
    assert "OTLPSpanExporter" in text
    screenshot(page, "06-first-run")
    panel.locator("text=Create an ingest key").click()
    key = page.locator("[data-issued-key]").inner_text()
    assert key.startswith("iop_")
    page.goto(page.url)
    assert "iop_" in page.content() and key not in page.content(), "the key is shown once, then only its prefix"


def test_slo_list_sparklines_and_the_slo_page_charts(page, web_server, sre, explore_project):
    from concurrent.futures import ThreadPoolExecutor

    from django.utils import timezone

    from apps.slo.evaluation import slos_evaluate_all
    from apps.slo.services import slo_create

    slo_create(explore_project, name="support answers fast", sli_kind="latency", threshold_ms=15_000,
               objective="0.99", window="rolling_7d")
    # In a thread of its own: evaluation publishes alert events through async_to_sync, which cannot run
    # in this thread while Playwright's event loop does.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(slos_evaluate_all, timezone.now()).result()
    sign_in(page, web_server, "browser-sre")
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/slos")
    loaded(page, "slos")
    assert page.locator(".sparkline .main-svg").count() > 0
    screenshot(page, "07-slo-list")
    page.click("text=support answers fast")
    loaded(page, "slo")
    assert parse_qs(urlparse(page.url).query)["range"] == ["7d"]
    assert page.locator("[data-chart=burn] .main-svg").count() > 0
    assert page.locator("[data-thresholds] tbody tr").count() == 4
    screenshot(page, "08-slo-page")
    assert page.problems == []


def test_times_switch_between_utc_and_the_browsers_zone(browser, web_server, sre, explore_project, explore_dataset):
    from datetime import datetime, timedelta

    # São Paulo: three hours behind UTC all year (no summer time since 2019).
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id="America/Sao_Paulo")
    page = context.new_page()
    try:
        sign_in(page, web_server, "browser-sre")
        page.goto(f"{web_server.url}/projects/{explore_project.pk}/traces?range=1h")
        loaded(page, "traces")
        assert page.locator("[data-window-label]").inner_text() == "last 1h · UTC"
        utc_text = page.locator("[data-results] tbody tr td").first.inner_text()
        page.click("[data-tz]")
        loaded(page, "traces")
        assert parse_qs(urlparse(page.url).query)["tz"] == ["local"]
        zone = page.evaluate("IO.tzName")
        assert "Sao_Paulo" in zone
        assert page.locator("[data-window-label]").inner_text() == f"last 1h · {zone}"
        local_text = page.locator("[data-results] tbody tr td").first.inner_text()
        utc = datetime.strptime(utc_text, "%Y-%m-%d %H:%M:%S UTC")
        local = datetime.strptime(local_text, f"%Y-%m-%d %H:%M:%S {zone}")
        assert utc - local == timedelta(hours=3)
        page.goto(f"{web_server.url}/projects/{explore_project.pk}/overview?range=1h&tz=local")
        loaded(page, "overview")
        assert page.locator("[data-window-label]").inner_text() == f"last 1h · {zone}"
        screenshot(page, "09-overview-local-time")
    finally:
        context.close()
