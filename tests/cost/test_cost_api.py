"""The cost API and pages: writes by role, precise errors for bad input, reports and line-item exports
(JSON, CSV with hostile strings neutralised, Parquet), and the finance pages over ingested data."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from apps.core.services import membership_set
from apps.cost import services
from apps.cost.models import CostRun
from tests.cost.sending import Call, send_calls

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("warehouse")]
ROLES = ("admin", "sre", "finance", "auditor", "viewer")
HOSTILE_TENANT = "=cmd|' /C calc'!A0"
HOSTILE_MODEL = "<img src=x onerror=alert(1)>"
NOW = datetime.now(UTC)
T = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def member(project, role: str):
    user = get_user_model().objects.create_user(f"cost-{role}-{project.pk}", password="pw-123456789")
    membership_set(project, user, role)
    return user


def api(project, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(member(project, role))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_price_budget_and_recompute_writes_need_finance_or_admin(project, role):
    client, base = api(project, role), f"/api/v1/projects/{project.pk}/cost"
    override = client.post(f"{base}/overrides", {"name": "ft", "match": "glob", "pattern": "ft:*", "input_mtok": "0.3",
                                                 "output_mtok": "1.2", "effective_from": "2026-01-01"}, format="json")
    gpu = client.post(f"{base}/gpu-prices", {"name": "h100", "gpu_model": "H100", "hourly_usd": "2.49",
                                             "effective_from": "2026-01-01"}, format="json")
    budget = client.post(f"{base}/budgets", {"name": "all", "monthly_usd": "1000"}, format="json")
    recompute = client.post(f"{base}/recomputes", {"start": (NOW - timedelta(hours=3)).isoformat(),
                                                   "end": (NOW - timedelta(hours=1)).isoformat()}, format="json")
    got = (override.status_code, gpu.status_code, budget.status_code, recompute.status_code)
    if role in ("admin", "finance"):
        assert got == (201, 201, 201, 202)
        deletes = [client.delete(f"{base}/overrides/{override.data['id']}").status_code,
                   client.delete(f"{base}/gpu-prices/{gpu.data['id']}").status_code,
                   client.delete(f"{base}/budgets/{budget.data['id']}").status_code]
        assert deletes == [204, 204, 204]
        reasons = [v["reason"] for v in client.get(f"{base}/price-versions").data["versions"]]
        assert reasons[:4] == [f"GPU price #{gpu.data['id']} h100 removed", f"override #{override.data['id']} ft removed",
                               f"GPU price #{gpu.data['id']} h100 added", f"override #{override.data['id']} ft added"]
    else:
        assert got == (403, 403, 403, 403)


@pytest.mark.parametrize("payload, message", [
    ({"name": "x", "match": "regex", "pattern": "gpt-(4", "input_mtok": "1", "output_mtok": "1",
      "effective_from": "2026-01-01"}, "pattern: not a valid regular expression"),
    ({"name": "x", "pattern": "gpt-4o", "input_mtok": "-1", "output_mtok": "1", "effective_from": "2026-01-01"},
     "input_mtok: must be at least 0"),
    ({"name": "x", "pattern": "gpt-4o", "kind": "discount", "discount_percent": "10", "input_mtok": "1",
      "effective_from": "2026-01-01"}, "a discount override takes discount_percent only"),
    ({"name": "x", "pattern": "gpt-4o", "input_mtok": "1", "output_mtok": "1", "effective_from": "2026-03-01",
      "effective_to": "2026-02-01"}, "effective_to: must be after effective_from"),
    ({"name": "x", "pattern": "gpt-4o", "input_mtok": "1", "output_mtok": "one", "effective_from": "2026-01-01"},
     "output_mtok: 'one' is not a number"),
    ({"name": "x" * 81, "pattern": "p", "input_mtok": "1", "output_mtok": "1", "effective_from": "2026-01-01"},
     "name: at most 80 characters"),
])
def test_bad_overrides_are_refused_with_the_field_and_rule(project, payload, message):
    response = api(project, "finance").post(f"/api/v1/projects/{project.pk}/cost/overrides", payload, format="json")
    assert response.status_code == 400 and message in response.data["detail"]


def test_bad_budgets_gpu_prices_recomputes_and_report_parameters_are_refused(project):
    client, base = api(project, "admin"), f"/api/v1/projects/{project.pk}/cost"
    assert "thresholds" in client.post(f"{base}/budgets", {"name": "b", "monthly_usd": "10", "thresholds": "50,abc"},
                                       format="json").data["detail"]
    assert "scope_value: is required" in client.post(f"{base}/budgets", {"name": "b", "scope": "tenant",
                                                                        "monthly_usd": "10"}, format="json").data["detail"]
    assert "hourly_usd: must be greater than 0" in client.post(
        f"{base}/gpu-prices", {"name": "g", "hourly_usd": "0", "effective_from": "2026-01-01"}, format="json").data["detail"]
    old = client.post(f"{base}/recomputes", {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"},
                      format="json")
    assert old.status_code == 400 and "past trace or metric retention" in old.data["detail"]
    assert "timezone" in client.post(f"{base}/recomputes", {"start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00"},
                                     format="json").data["detail"]
    assert client.get(f"{base}/report?group_by=colour").status_code == 400
    assert "start must be before end" in client.get(f"{base}/report?start=2026-02-01&end=2026-01-01").data["detail"]
    assert client.get(f"{base}/report?output=xlsx").status_code == 400


@pytest.fixture
def costed(ingest_server, ingest_key, project):
    send_calls(ingest_server, ingest_key, [
        Call(T, "gpt-4o-mini", input_tokens=1_000_000, tenant=HOSTILE_TENANT),
        Call(T + timedelta(minutes=1), "gpt-4o-mini", input_tokens=2_000_000, tenant="acme",
             attributes={"team": "search", "http.request.resend_count": 1}),
        Call(T + timedelta(minutes=2), HOSTILE_MODEL, provider="openai", input_tokens=10, tenant="acme", error=True),
    ])
    services.cost_window(project, T, T + timedelta(minutes=10), kind=CostRun.Kind.SWEEP)
    return project


def test_reports_export_as_json_csv_and_parquet_with_hostile_strings_neutralised(costed):
    client = api(costed, "finance")
    base = f"/api/v1/projects/{costed.pk}/cost/report?start={T.date()}&end={T.date() + timedelta(days=1)}" \
           "&group_by=tenant&group_by=model"
    rows = client.get(base).data["rows"]
    assert {(r["tenant"], r["model"], r["total_cost"]) for r in rows} == {
        (HOSTILE_TENANT, "gpt-4o-mini", "0.150000000000000"), ("acme", "gpt-4o-mini", "0.300000000000000"),
        ("acme", HOSTILE_MODEL, "0.000000000000000")}
    retried = next(r for r in rows if r["tenant"] == "acme" and r["model"] == "gpt-4o-mini")
    assert retried["retry_share"] == "1.000000000000000"
    csv_text = b"".join(client.get(base + "&output=csv").streaming_content).decode()
    assert "'=cmd|' /C calc'!A0" in csv_text and "\n=cmd" not in csv_text and ",=cmd" not in csv_text
    table = pq.read_table(io.BytesIO(b"".join(client.get(base + "&output=parquet").streaming_content)))
    assert sorted(table.column("tenant").to_pylist()) == sorted(r["tenant"] for r in rows)
    assert sum(table.column("total_cost").to_pylist()) == sum(Decimal(r["total_cost"]) for r in rows)
    teams = client.get(f"/api/v1/projects/{costed.pk}/cost/attribution?dimension=team&start={T.date()}"
                       f"&end={T.date() + timedelta(days=1)}").data["rows"]
    assert {(r["value"], r["total_cost"]) for r in teams} == {("search", "0.300000000000000"),
                                                             ("", "0.150000000000000")}


def test_the_ledger_exports_every_posting_and_reversal_streamed(costed):
    from apps.cost.models import PriceOverride

    PriceOverride.objects.create(project=costed, name="deal", match="equals", pattern="gpt-4o-mini", kind="discount",
                                 discount_percent=50, effective_from=T.date() - timedelta(days=400))
    services.version_cut(costed, "deal", None)
    services.cost_window(costed, T, T + timedelta(minutes=10), kind=CostRun.Kind.RECOMPUTE)
    client = api(costed, "admin")
    url = f"/api/v1/projects/{costed.pk}/cost/ledger?start={T.date()}&end={T.date() + timedelta(days=1)}"
    csv_lines = b"".join(client.get(url + "&output=csv").streaming_content).decode().splitlines()
    assert len(csv_lines) == 1 + 3 + 2 + 2           # header, 3 postings, 2 reversals, 2 new postings
    table = pq.read_table(io.BytesIO(b"".join(client.get(url + "&output=parquet").streaming_content)))
    assert table.num_rows == 7
    from apps.cost import selectors

    paged = pl.concat(selectors.ledger_pages(costed, T - timedelta(hours=1), T + timedelta(hours=1), page=2))
    assert paged.height == 7 and paged.select("line_key", "posting", "sign").n_unique() == 7
    assert sorted(zip(table.column("price_version").to_pylist(), table.column("sign").to_pylist(), strict=True)) == [
        (1, -1), (1, -1), (1, 1), (1, 1), (1, 1), (2, 1), (2, 1)]
    net = sum(v * s for v, s in zip(table.column("total_cost").to_pylist(), table.column("sign").to_pylist(),
                                    strict=True))
    assert net == Decimal("0.225")                   # (0.15 + 0.30) at half price; the unpriced call costs 0


def test_finance_pages_show_the_figures_and_escape_telemetry_text(costed):
    client = Client()
    client.force_login(member(costed, "finance"))
    days = f"start={T.date()}&end={T.date() + timedelta(days=1)}"
    overview = client.get(f"/projects/{costed.pk}/cost?{days}").content.decode()
    assert "$0.45" in overview and "Unpriced calls" in overview
    report = client.get(f"/projects/{costed.pk}/cost/report?{days}").content.decode()
    assert HOSTILE_MODEL not in report and "&lt;img src=x onerror=alert(1)&gt;" in report
    assert "search" in client.get(f"/projects/{costed.pk}/cost/report?{days}&dimension=team").content.decode()
    refused = client.post(f"/projects/{costed.pk}/cost/prices", {"action": "gpu", "name": "g", "hourly_usd": "abc",
                                                                 "effective_from": "2026-01-01"})
    assert refused.status_code == 400 and "hourly_usd: &#x27;abc&#x27; is not a number" in refused.content.decode()
    created = client.post(f"/projects/{costed.pk}/cost/budgets", {"name": "monthly", "scope": "project",
                                                                  "monthly_usd": "1", "thresholds": "50,100"})
    assert created.status_code == 302
    assert "monthly" in client.get(f"/projects/{costed.pk}/cost/budgets").content.decode()


def test_whole_month_reports_read_the_monthly_rollup_and_agree_with_the_daily_one(costed):
    from apps.cost import budgets, selectors

    first = budgets.month_start(T)
    following = budgets.month_end(first)
    monthly = selectors.cost_report(costed, first, following, ["tenant", "model"], period="month")
    daily = selectors.cost_report(costed, first, following, ["tenant", "model"], period="day")
    assert monthly and {r["period"] for r in monthly} == {first}
    summed: dict = {}
    for row in daily:
        summed[(row["tenant"], row["model"])] = summed.get((row["tenant"], row["model"]), 0) + row["total_cost"]
    assert {(r["tenant"], r["model"]): r["total_cost"] for r in monthly} == summed


def test_attribution_keys_are_configured_and_a_recompute_applies_them(costed):
    client, base = api(costed, "finance"), f"/api/v1/projects/{costed.pk}/cost"
    bad = client.put(f"{base}/attribution-keys", {"attribution": {"Squad!": ["team"]}}, format="json")
    assert bad.status_code == 400 and "is not a dimension name" in bad.data["detail"]
    assert client.put(f"{base}/attribution-keys", {"attribution": {"squad": ["squad", "team"]}},
                      format="json").status_code == 200
    assert client.get(f"{base}/attribution-keys").data == {"attribution": {"squad": ["squad", "team"]}}
    services.cost_window(costed, T, T + timedelta(minutes=10), kind=CostRun.Kind.RECOMPUTE)
    rows = client.get(f"{base}/attribution?dimension=squad&start={T.date()}&end={T.date() + timedelta(days=1)}").data
    assert {(r["value"], r["total_cost"]) for r in rows["rows"]} == {("search", "0.300000000000000"),
                                                                    ("", "0.150000000000000")}


def test_override_patterns_that_can_backtrack_exponentially_are_refused(project):
    client = api(project, "admin")
    for pattern in ("(a|aa)*b", "(x+)+y", r"(gpt)\1"):
        response = client.post(f"/api/v1/projects/{project.pk}/cost/overrides",
                               {"name": "x", "match": "regex", "pattern": pattern, "input_mtok": "1",
                                "output_mtok": "1", "effective_from": "2026-01-01"}, format="json")
        assert response.status_code == 400 and "exponential time" in response.data["detail"], pattern
