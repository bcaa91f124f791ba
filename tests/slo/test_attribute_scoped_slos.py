"""SLOs scoped by any attribute count their events from the spans; on a scope the rollups can also
express, both paths give the same numbers (data written by the ingest path)."""

from datetime import timedelta

import pytest

from apps.slo import selectors, services
from apps.slo.services import SLOError

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db]


def totals(slo, dataset) -> tuple[int, int]:
    frame = selectors.sli_minutes(slo, dataset.ended - timedelta(hours=1), dataset.ended + timedelta(minutes=1))
    return int(frame["good"].sum()), int(frame["total"].sum())


@pytest.mark.parametrize(("kind", "target", "threshold_ms"), [
    ("availability", "requests", None), ("latency", "requests", 10_000), ("ttft", "llm_calls", 500),
    ("tpot", "llm_calls", 25),
])
def test_an_attribute_scope_counts_what_the_rollups_count(explore_project, explore_dataset, kind, target,
                                                          threshold_ms):
    tenant = max(explore_dataset.truth["generated"]["traces_by_tenant"].items(), key=lambda kv: kv[1])[0]
    common = {"sli_kind": kind, "target": target, "threshold_ms": threshold_ms, "objective": "0.99"}
    by_rollups = services.slo_create(explore_project, name=f"{kind} rollups", filters={"tenants": [tenant]}, **common)
    by_spans = services.slo_create(explore_project, name=f"{kind} spans",
                                   filters={"attributes": [f"tenant.id = {tenant}"]}, **common)
    assert selectors.attribute_scoped(by_spans) and not selectors.attribute_scoped(by_rollups)
    good, total = totals(by_spans, explore_dataset)
    assert (good, total) == totals(by_rollups, explore_dataset)
    assert 0 < total and 0 <= good <= total
    if kind == "availability":
        assert total == explore_dataset.truth["generated"]["traces_by_tenant"][tenant]


def test_attribute_filters_narrow_and_exemplars_follow_them(explore_project, explore_dataset):
    slo = services.slo_create(explore_project, name="vllm calls fast", sli_kind="latency", target="llm_calls",
                              threshold_ms=1000, objective="0.99",
                              filters={"attributes": ["gen_ai.provider.name = vllm", "tenant.id != nobody"]})
    _, vllm_total = totals(slo, explore_dataset)
    everything = services.slo_create(explore_project, name="all calls fast", sli_kind="latency",
                                     target="llm_calls", threshold_ms=1000, objective="0.99")
    assert 0 < vllm_total < totals(everything, explore_dataset)[1]
    exemplars = selectors.exemplar_traces(slo, explore_dataset.ended - timedelta(hours=1), explore_dataset.ended,
                                          limit=5)
    assert exemplars and all(x["duration_ms"] > 1000 or x["error"] for x in exemplars)


@pytest.mark.parametrize(("fields", "message"), [
    ({"sli_kind": "availability", "filters": {"attributes": ["no operator"]}}, "filters.attributes: an attribute"),
    ({"sli_kind": "availability", "filters": {"attributes": [f"k{i} = v" for i in range(11)]}}, "at most 10"),
    ({"sli_kind": "guardrail_block", "filters": {"attributes": ["a = b"]}}, "span-based SLIs"),
])
def test_bad_attribute_scopes_are_refused(project, fields, message):
    with pytest.raises(SLOError, match=message):
        services.slo_create(project, name="bad", target="requests", objective="0.99", **fields)


def test_the_minute_task_evaluates_and_seals_an_attribute_scoped_slo(explore_project, explore_dataset):
    from django.utils import timezone

    from apps.slo.evaluation import slos_evaluate_all

    slo = services.slo_create(explore_project, name="feature availability", sli_kind="availability",
                              target="requests", objective="0.999",
                              filters={"attributes": ["inferops.feature contains a"]})
    result = slos_evaluate_all(timezone.now())
    slo.refresh_from_db()
    row = selectors.latest_evaluations(explore_project.pk, timezone.now() - timedelta(minutes=5),
                                       timezone.now() + timedelta(minutes=1))[slo.pk]
    assert result["failed"] == 0 and slo.sealed_until is not None
    assert row["sli"] <= 1 and "1h" in row["burn_windows"]
