"""Trace search and the trace view on what the ingest path wrote (the simulator's OTLP traffic)."""

from datetime import timedelta

import pytest
from django.http import QueryDict

from apps.telemetry.query import parse_trace_search
from apps.telemetry.selectors import span_detail, trace_bounds, trace_search, trace_view
from tests.datasets import XSS_NAME, XSS_VALUE

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]


def search(dataset, query: str):
    start = (dataset.ended - timedelta(hours=1)).isoformat()
    end = (dataset.ended + timedelta(minutes=1)).isoformat()
    params = QueryDict(query, mutable=True)
    params.update({"start": start, "end": end})
    return trace_search(dataset.project_id, parse_trace_search(params))


def all_pages(dataset, query: str) -> list[dict]:
    rows, cursor = [], ""
    while True:
        page = search(dataset, f"{query}&limit=25" + (f"&after={cursor}" if cursor else ""))
        rows += page.rows
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


def tenants_of(dataset, trace_id: str) -> set[str]:
    return {s["tenant"] for s in trace_view(dataset.project_id, trace_id)["spans"]}


def test_an_attribute_equality_filter_finds_exactly_that_tenants_traces(explore_dataset):
    tenant, expected = max(explore_dataset.truth["generated"]["traces_by_tenant"].items(), key=lambda kv: kv[1])
    rows = all_pages(explore_dataset, f"attr=tenant.id = {tenant}")
    assert len(rows) == expected
    assert len({r["trace_id"] for r in rows}) == expected, "keyset pages neither repeat nor skip"
    assert all(r["trace_tenants"] == [tenant] for r in rows)


def test_not_equal_and_contains_filters(explore_dataset):
    tenant = sorted(explore_dataset.truth["generated"]["traces_by_tenant"])[0]
    others = search(explore_dataset, f"attr=tenant.id != {tenant}&limit=200").rows
    assert others and all(tenant not in r["trace_tenants"] for r in others)
    llama = search(explore_dataset, "attr=gen_ai.request.model contains Llama&limit=50").rows
    assert llama and all(any("Llama" in m for m in r["trace_models"]) for r in llama)


def test_two_attribute_filters_must_hold_on_one_span(explore_dataset):
    rows = search(explore_dataset, "attr=gen_ai.operation.name = chat&attr=gen_ai.provider.name = vllm&limit=200").rows
    assert rows
    for row in rows[:10]:
        spans = trace_view(explore_dataset.project_id, row["trace_id"])["spans"]
        assert any(s["operation"] == "chat" and s["provider"] == "vllm" for s in spans)


def test_sorting_by_duration_and_duration_and_token_ranges(explore_dataset):
    rows = search(explore_dataset, "sort=duration&order=desc&limit=100").rows
    durations = [r["duration_ns"] for r in rows]
    assert durations == sorted(durations, reverse=True)
    bounded = search(explore_dataset, "min_duration_ms=2000&max_duration_ms=10000&min_tokens=500&limit=200").rows
    assert bounded and all(2e9 <= r["duration_ns"] <= 1e10 for r in bounded)
    assert all(r["input_tokens"] + r["output_tokens"] >= 500 for r in bounded)


def test_service_and_status_filters(explore_dataset):
    service = sorted(explore_dataset.truth["sent"]["spans_by_service"])[0]
    rows = search(explore_dataset, f"service={service}&limit=100").rows
    assert rows and all(service in r["trace_services"] for r in rows)
    failed = search(explore_dataset, "status=error&limit=50").rows
    assert all(r["errors"] > 0 for r in failed)
    ok = search(explore_dataset, "status=ok&limit=50").rows
    assert ok and all(r["errors"] == 0 for r in ok)


def test_each_row_of_a_page_sums_and_lists_its_whole_trace(explore_dataset):
    """The page is chosen from totals alone and its rows read again in full: every row's counts,
    tokens and lists are those of all its spans, in every sort order."""
    for sort in ("duration", "tokens", "spans", "start"):
        rows = search(explore_dataset, f"sort={sort}&order=desc&limit=25").rows
        assert len(rows) == 25
        for row in rows[:5]:
            spans = trace_view(explore_dataset.project_id, row["trace_id"])["spans"]
            assert row["spans"] == len(spans)
            assert row["input_tokens"] == sum(s["input_tokens"] for s in spans)
            assert row["trace_services"] == sorted({s["service_name"] for s in spans})
            assert row["trace_tenants"] == sorted({s["tenant"] for s in spans if s["tenant"]})


def test_the_trace_view_has_every_span_a_critical_path_and_a_gpu_lane(explore_dataset):
    row = search(explore_dataset, "attr=gen_ai.provider.name = vllm&sort=spans&limit=25").rows[0]
    view = trace_view(explore_dataset.project_id, row["trace_id"])
    assert view["span_count"] == row["spans"] == len(view["spans"])
    path = view["critical_path"]
    assert all(a["end_ns"] <= b["start_ns"] for a, b in zip(path, path[1:], strict=False))
    root = next(s for s in view["spans"] if not s["parent_id"])
    assert sum(p["end_ns"] - p["start_ns"] for p in path) == root["duration_ns"]
    assert sum(r["critical_path_share"] for r in view["breakdown"]) == pytest.approx(1.0)
    lane = view["gpu_lanes"][0]
    served = [s for s in view["spans"] if s["span_id"] in lane["span_ids"]]
    assert served and all(s["host"] == lane["host"] and s["gpu_id"] == lane["gpu_id"] for s in served)
    assert lane["metrics"]["gpu.utilization"]["v"], "the GPU's utilisation around the call"


def test_traces_and_spans_carry_their_cost_and_the_breakdown_shares_it(explore_dataset):
    rows = search(explore_dataset, "attr=gen_ai.provider.name = vllm&sort=spans&limit=25").rows
    costed = [r for r in rows if r["cost"]]
    assert costed, "self-hosted calls are priced by GPU time"
    view = trace_view(explore_dataset.project_id, costed[0]["trace_id"])
    llm = [s for s in view["spans"] if s["cost"] is not None]
    assert llm and all(s["pricing"]["method"] in ("gpu_time", "catalogue") for s in llm)
    assert sum(s["cost"] for s in llm) == pytest.approx(costed[0]["cost"])
    shares = [r["cost_share"] for r in view["breakdown"] if r["cost_share"] is not None]
    assert sum(shares) == pytest.approx(1.0)
    hosted = search(explore_dataset, "model=gpt-4o-2024-08-06&limit=25").rows
    assert hosted and all(r["cost"] and r["cost"] > 0 for r in hosted), "list-priced calls"


def test_span_detail_returns_the_hostile_text_unchanged(explore_dataset):
    view = trace_view(explore_dataset.project_id, explore_dataset.xss_trace_id)
    root = next(s for s in view["spans"] if not s["parent_id"])
    assert root["name"] == XSS_NAME
    bounds = trace_bounds(explore_dataset.project_id, explore_dataset.xss_trace_id)
    detail = span_detail(explore_dataset.project_id, explore_dataset.xss_trace_id, root["span_id"], bounds)
    assert detail["span_attributes"]["evil.attr"] == XSS_VALUE


def test_a_trace_of_another_project_is_not_found(explore_dataset, project):
    assert trace_view(project.pk, explore_dataset.xss_trace_id) is None
