"""Metrics are routed by kind (schema 0021): each kind reaches its own view exactly once, whatever the
other kinds in its request or batch, and every request is accounted once."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from apps.telemetry import selectors
from ingest.decode import decode
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
PROTO = {"Content-Type": "application/x-protobuf"}


def _request(*kinds: str, host: str) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    resource = request.resource_metrics.add()
    resource.resource.attributes.add(key="host.name").value.string_value = host
    scope = resource.scope_metrics.add()
    now = time.time_ns()
    for kind in kinds:
        metric = scope.metrics.add(name=f"routing.{kind}")
        if kind in ("gauge", "sum"):
            getattr(metric, kind).data_points.add(time_unix_nano=now, as_double=7.0)
        elif kind == "histogram":
            metric.histogram.data_points.add(time_unix_nano=now, count=2, sum=3.0, bucket_counts=[1, 1],
                                             explicit_bounds=[1.0])
        elif kind == "exponential_histogram":
            point = metric.exponential_histogram.data_points.add(time_unix_nano=now, count=1, sum=2.0, scale=1)
            point.positive.bucket_counts.append(1)
        else:
            point = metric.summary.data_points.add(time_unix_nano=now, count=4, sum=8.0)
            point.quantile_values.add(quantile=0.5, value=2.0)
    return request


def test_the_kinds_a_request_holds_are_known_from_decoding():
    assert decode("metrics", _request("gauge", "sum", host="h").SerializeToString(), "protobuf").kinds == \
        {"gauge", "sum"}
    assert decode("metrics", _request("summary", "histogram", host="h").SerializeToString(), "protobuf").kinds == \
        {"summary", "histogram"}


def test_every_kind_is_stored_once_alone_together_and_in_shared_batches(ingest_server, project, ingest_key):
    requests = [_request("gauge", host="a"), _request("summary", host="b"), _request("histogram", host="c"),
                _request("gauge", "sum", "histogram", "exponential_histogram", "summary", host="d")]
    # Concurrent, so that some of them share a group commit holding different kinds.
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        replies = list(pool.map(lambda r: post(ingest_server, "/v1/metrics", r.SerializeToString(),
                                               {**PROTO, "x-inferops-key": ingest_key}), requests))
    assert [r.status for r in replies] == [200] * len(requests)
    window = (datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    points = selectors.metric_points_in_window(project.pk, *window).to_dicts()
    histograms = selectors.histograms_in_window(project.pk, *window).to_dicts()
    assert sorted((r["host"], r["kind"]) for r in points) == [("a", "gauge"), ("d", "gauge"), ("d", "sum")]
    assert sorted((r["host"], r["kind"]) for r in histograms) == [
        ("b", "summary"), ("c", "explicit"), ("d", "explicit"), ("d", "exponential"), ("d", "summary")]
    metrics = selectors.ingest_accounting(project.pk, *window)[1]
    assert (metrics.signal, metrics.requests, metrics.accepted) == ("metrics", 4, 8)


@pytest.fixture
def poisoned_points(warehouse):
    # A points view that cannot parse one metric name (an input error, not a storage one) stands in
    # for data that only a later table's view refuses.
    warehouse.command("CREATE TABLE IF NOT EXISTS poison_sink (x UInt8) ENGINE = Null")
    warehouse.command("CREATE MATERIALIZED VIEW IF NOT EXISTS poison_points_mv TO poison_sink AS SELECT "
                      "toUInt8(if(arrayExists(rm -> arrayExists(sm -> arrayExists(m -> m.name = 'poison', sm.metrics), "
                      "rm.scope_metrics), resource_metrics), 'poison', '0')) AS x FROM otlp_metric_points_in")
    yield
    warehouse.command("DROP VIEW IF EXISTS poison_points_mv")
    warehouse.command("DROP TABLE IF EXISTS poison_sink")


def test_a_request_refused_after_its_other_kinds_were_stored_is_refused_alone_and_nothing_twice(
        warehouse, project, poisoned_points):
    """One batch, three requests; the last one's summary is stored (its kind's table comes first) but
    its points table insert fails. The batch is bisected over the points table only: the other two are
    stored once, the bad one is refused and marked partial, so the service does not send it again."""
    from ingest.committer import GroupCommitter
    from ingest.envelope import envelope
    from ingest.errors import BadPayload

    poisoned = _request("summary", "gauge", host="c")
    poisoned.resource_metrics[0].scope_metrics[0].metrics[1].name = "poison"
    committer = GroupCommitter("metrics", warehouse.writer(), max_items=10_000, max_delay_s=0.01,
                               max_pending_bytes=10**8)
    futures = []
    for request in (_request("gauge", host="a"), _request("gauge", host="b"), poisoned):   # queued: one batch
        decoded = decode("metrics", request.SerializeToString(), "protobuf")
        futures.append(committer.submit(envelope(decoded.payload, project.pk, accepted_items=decoded.accepted),
                                        decoded.accepted, decoded.kinds).future)
    committer.start()
    assert [f.result(timeout=60) for f in futures[:2]] == [1, 1]
    with pytest.raises(BadPayload) as refused:
        futures[2].result(timeout=60)
    assert refused.value.partial and "were stored" in refused.value.message
    committer.stop()
    window = (datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    points = selectors.metric_points_in_window(project.pk, *window).to_dicts()
    histograms = selectors.histograms_in_window(project.pk, *window).to_dicts()
    assert sorted((r["host"], r["kind"]) for r in points) == [("a", "gauge"), ("b", "gauge")]
    assert [(r["host"], r["kind"]) for r in histograms] == [("c", "summary")]
    assert committer.stats.batches == 2 and committer.stats.envelopes == 2   # the two good halves
