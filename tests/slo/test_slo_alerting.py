"""SLOs end to end: spans sent through the real OTel SDK exporter and ingest, evaluated from the rollups;
the page alert fires once per episode, resolves when the burn stops, and fires again as a new episode."""

from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from apps.slo import evaluation, services
from apps.slo.models import AlertEvent, SLOAlert
from tests.ingest.otel_clients import span_exporter
from warehouse import get_warehouse

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
T = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)


def send_requests(server, key: str, minutes: range, bad: set[int], per_minute: int = 20) -> None:
    """``per_minute`` root requests in each minute offset (from T); all of them fail in ``bad`` minutes."""
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout-agent"}))
    processor = BatchSpanProcessor(span_exporter("http", server, key), max_queue_size=20_000,
                                   max_export_batch_size=4_000)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("slo-tests")
    for offset in minutes:
        for i in range(per_minute):
            start = T + timedelta(minutes=offset, seconds=i * 2)
            span = tracer.start_span("POST /v1/chat", kind=SpanKind.SERVER, start_time=_ns(start),
                                     attributes={"http.route": "/v1/chat", "tenant.id": "acme"})
            if offset in bad:
                span.set_status(Status(StatusCode.ERROR, "upstream overloaded"))
            span.end(end_time=_ns(start + timedelta(milliseconds=300)))
    assert processor.force_flush(30_000)
    provider.shutdown()


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


@pytest.fixture
def availability_slo(project):
    return services.slo_create(project, name="checkout availability", sli_kind="availability",
                               objective="0.999", filters={"services": ["checkout-agent"]})


def states(slo) -> dict[str, tuple[str, int]]:
    return {a.severity: (a.state, a.episode) for a in SLOAlert.objects.filter(slo=slo)}


def test_a_burn_pages_once_resolves_and_pages_again_as_a_new_episode(ingest_server, ingest_key, availability_slo):
    send_requests(ingest_server, ingest_key, range(-70, 0), bad={-2, -1})

    first = evaluation.slo_evaluate(availability_slo, T)
    assert [e.alert.severity for e in first.fired] == ["page", "ticket"]
    page_event = first.fired[0]
    assert page_event.burn_rates["1h/5m"]["long"] > 14.4 and page_event.burn_rates["1h/5m"]["short"] > 14.4
    assert len(page_event.exemplars) == 5 and all(e["error"] for e in page_event.exemplars)
    assert "checkout availability" in page_event.summary and len(page_event.summary) <= 1024

    again = evaluation.slo_evaluate(availability_slo, T + timedelta(seconds=30))   # same minute, same episode
    assert again.fired == [] and again.resolved == []

    assert evaluation.slo_evaluate(availability_slo, T + timedelta(minutes=10)).resolved == []   # 6h/30m still burns
    later = evaluation.slo_evaluate(availability_slo, T + timedelta(minutes=40))
    assert [e.alert.severity for e in later.resolved] == ["page"]
    assert states(availability_slo) == {"page": ("ok", 1), "ticket": ("firing", 1)}

    send_requests(ingest_server, ingest_key, range(60, 62), bad={60, 61})
    relapse = evaluation.slo_evaluate(availability_slo, T + timedelta(minutes=62))
    assert [e.alert.severity for e in relapse.fired] == ["page"]
    assert states(availability_slo)["page"] == ("firing", 2)
    kinds = list(AlertEvent.objects.filter(alert__severity="page").order_by("at").values_list("episode", "kind"))
    assert kinds == [(1, "firing"), (1, "resolved"), (2, "firing")]


def test_latency_slis_count_calls_under_the_threshold_from_the_rollups(ingest_server, ingest_key, project):
    send_requests(ingest_server, ingest_key, range(-5, 0), bad=set())     # every request takes 300 ms
    fast = services.slo_create(project, name="under 250 ms", sli_kind="latency", threshold_ms=250, objective="0.99")
    slow = services.slo_create(project, name="under 500 ms", sli_kind="latency", threshold_ms=500, objective="0.99")
    assert evaluation.slo_evaluate(fast, T).evaluation.sli == 0.0
    assert evaluation.slo_evaluate(slow, T).evaluation.sli == 1.0
    assert evaluation.slo_evaluate(fast, T).evaluation.total == 100


def test_the_minute_task_evaluates_every_slo_and_stores_the_series(ingest_server, ingest_key, availability_slo):
    send_requests(ingest_server, ingest_key, range(-12, 0), bad={-1})
    services.slo_create(availability_slo.project, name="latency", sli_kind="latency", threshold_ms=500,
                        objective="0.99")        # a second kind in the same project: one sealing insert
    assert evaluation.slos_evaluate_all(T) == {"evaluated": 2, "failed": 0, "deferred": 0, "fired": 2, "resolved": 0}
    history = get_warehouse().run_query("slo.evaluations", project_id=availability_slo.project_id,
                                        slo_id=availability_slo.pk, start=T - timedelta(minutes=1), end=T + timedelta(minutes=1))
    row = history.row(0, named=True)
    assert (row["good"], row["total"], sorted(row["firing"])) == (220, 240, ["page", "ticket"])
    assert dict(zip(row["burn_windows"], row["burn_rates"], strict=True))["5m"] == pytest.approx((20 / 100) / 0.001)


def test_the_python_thresholds_are_the_rollup_bounds(warehouse):
    from apps.slo.sli import LATENCY_BOUNDS_MS

    assert tuple(warehouse.admin_query("SELECT inferops_latency_bounds_ms() AS b")["b"][0]) == LATENCY_BOUNDS_MS


def test_minutes_are_sealed_once_and_a_changed_definition_starts_over(ingest_server, ingest_key, availability_slo,
                                                                      warehouse):
    send_requests(ingest_server, ingest_key, range(-20, 0), bad=set())
    evaluation.slo_evaluate(availability_slo, T)
    availability_slo.refresh_from_db()
    assert availability_slo.sealed_until == T - timedelta(minutes=5)
    sealed = f"SELECT count() AS n, sum(total) AS t FROM slo_minutes WHERE slo_id = {availability_slo.pk}"
    assert warehouse.admin_query(sealed).row(0) == (15, 300)            # 15 minutes sealed, 5 still live
    assert evaluation.slo_evaluate(availability_slo, T + timedelta(minutes=1)).evaluation.total == 400
    assert warehouse.admin_query(sealed).row(0) == (16, 320)            # one more minute, nothing twice

    services.slo_update(availability_slo, filters={"services": ["another-service"]})
    assert (availability_slo.version, availability_slo.sealed_until) == (2, None)
    assert evaluation.slo_evaluate(availability_slo, T + timedelta(minutes=1)).evaluation.total == 0


@pytest.mark.parametrize("definition", [
    {"sli_kind": "availability", "filters": {"services": ["checkout-agent"], "tenants": ["acme"]}},
    {"sli_kind": "availability", "target": "llm_calls"},
    {"sli_kind": "latency", "threshold_ms": 250},
    {"sli_kind": "latency", "threshold_ms": 500, "filters": {"endpoints": ["/v1/other"]}},
])
def test_slicing_the_shared_rollup_read_gives_what_the_per_slo_query_gives(ingest_server, ingest_key, project,
                                                                         definition):
    from apps.slo import selectors

    send_requests(ingest_server, ingest_key, range(-6, 0), bad={-2})
    slo = services.slo_create(project, name="consistency", objective="0.99", **definition)
    start, end = T - timedelta(minutes=10), T
    by_query = selectors.sli_minutes(slo, start, end)
    by_slice = selectors.sli_minutes_from_rollups(slo, selectors.rollup_minutes(project.pk, start, end))
    columns = ["minute", "good", "total"]
    assert by_query.select(columns).rows() == by_slice.select(columns).rows()


def test_a_stale_evaluator_does_not_seal_the_same_minutes_again(ingest_server, ingest_key, availability_slo, warehouse):
    send_requests(ingest_server, ingest_key, range(-20, 0), bad=set())
    stale = type(availability_slo).objects.get(pk=availability_slo.pk)       # loaded before the seal
    evaluation.slo_evaluate(availability_slo, T)
    evaluation.slo_evaluate(stale, T)                                         # loses the claim
    sealed = f"SELECT count() AS n FROM slo_minutes WHERE slo_id = {availability_slo.pk}"
    assert warehouse.admin_query(sealed).item() == 15


def test_new_slos_are_first_sealed_a_few_per_cycle_and_none_is_forgotten(ingest_server, ingest_key, project,
                                                                          settings):
    settings.SLO_FIRST_SEALS_PER_CYCLE = 2
    send_requests(ingest_server, ingest_key, range(-3, 0), bad=set())
    for objective in ("0.99", "0.995", "0.999"):
        services.slo_create(project, name=f"availability {objective}", sli_kind="availability", objective=objective)
    first = evaluation.slos_evaluate_all(T)
    second = evaluation.slos_evaluate_all(T + timedelta(minutes=1))
    assert (first["evaluated"], first["deferred"]) == (2, 1)
    assert (second["evaluated"], second["deferred"]) == (3, 0)
