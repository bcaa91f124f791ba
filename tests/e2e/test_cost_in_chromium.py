"""Finance in headless Chromium against the real app and the costed simulator data: the cost overview
with its chart, cost per token, a budget created through the form with its burn-down, and an override
that cuts a new price version. Screenshots are kept in artifacts/screenshots/."""

import pytest
from django.contrib.auth import get_user_model

from apps.core.services import membership_set
from tests.e2e.conftest import screenshot
from tests.e2e.test_explore_in_chromium import PASSWORD, sign_in

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finance(explore_project):
    for role in ("finance", "viewer"):
        user = get_user_model().objects.create_user(f"browser-{role}", password=PASSWORD)
        membership_set(explore_project, user, role)


def test_finance_reads_costs_sets_a_budget_and_an_override(page, web_server, finance, explore_project):
    sign_in(page, web_server, "browser-finance")
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/overview")
    page.click("nav.sections >> text=Cost")
    page.wait_for_selector("body[data-loaded='1']")
    assert page.locator("[data-total]").inner_text().startswith("$")
    assert page.locator("[data-figure=cost-daily] .main-svg").count() > 0, "Plotly drew the daily cost"
    screenshot(page, "20-cost-overview")

    page.click("nav.tabs >> text=Cost per token")
    models = page.locator("[data-report=model] tbody th").all_inner_texts()
    assert "meta-llama/Llama-3.3-70B-Instruct" in models and "gpt-4o-2024-08-06" in models
    screenshot(page, "21-cost-per-token")

    page.click("nav.tabs >> text=Budgets")
    page.fill("input[name=name]", "LLM spend")
    page.fill("input[name=monthly_usd]", "5")
    page.click("text=Create budget")
    page.wait_for_selector("[data-budget] [data-figure] .main-svg")
    assert "LLM spend" in page.locator("[data-budgets]").inner_text()
    screenshot(page, "22-budgets")

    page.click("nav.tabs >> text=Prices")
    before = page.locator("[data-current-version]").inner_text()
    form = page.locator("form:has(input[name=action][value=override])")
    form.locator("input[name=name]").fill("enterprise deal")
    form.locator("input[name=pattern]").fill("gpt-4o-2024-08-06")
    form.locator("select[name=kind]").select_option("discount")
    form.locator("input[name=discount_percent]").fill("15")
    form.locator("input[name=effective_from]").fill("2026-01-01")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-overrides] >> text=enterprise deal")
    assert page.locator("[data-current-version]").inner_text() != before
    screenshot(page, "23-prices")
    assert not page.problems, page.problems


def test_the_cost_pages_are_not_offered_to_a_viewer(page, web_server, finance, explore_project):
    sign_in(page, web_server, "browser-viewer")
    page.goto(f"{web_server.url}/projects/{explore_project.pk}/overview")
    assert page.locator("nav.sections >> text=Cost").count() == 0
    response = page.goto(f"{web_server.url}/projects/{explore_project.pk}/cost")
    assert response.status == 403
