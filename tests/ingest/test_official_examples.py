"""The protocol's own example payloads (shared/fixtures/otlp) are accepted in full and stored."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apps.telemetry import selectors
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "otlp"
WINDOW = (datetime(2018, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1))


def _send(server, key: str, fixture: str, path: str) -> None:
    reply = post(server, path, (FIXTURES / fixture).read_bytes(), {"Content-Type": "application/json",
                                                                  "x-inferops-key": key})
    assert (reply.status, json.loads(reply.body)) == (200, {})


def test_trace_example(ingest_server, project, ingest_key):
    _send(ingest_server, ingest_key, "trace.json", "/v1/traces")
    [span] = selectors.spans_in_window(project.pk, *WINDOW).to_dicts()
    assert (span["trace_id"], span["span_id"], span["parent_span_id"], span["name"], span["kind"],
            span["service_name"], span["scope_name"], span["scope_version"], span["duration_ns"],
            span["span_attributes"]) == (
        "5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174", "EEE19B7EC3C1B173", "I'm a server span", "server",
        "my.service", "my.library", "1.0.0", 1_000_000_000, {"my.span.attr": "some value"})
    assert span["timestamp"] == datetime(2018, 12, 13, 14, 51, tzinfo=UTC)


def test_metrics_example(ingest_server, project, ingest_key):
    _send(ingest_server, ingest_key, "metrics.json", "/v1/metrics")
    points = {r["metric_name"]: r for r in selectors.metric_points_in_window(project.pk, *WINDOW).to_dicts()}
    assert {(n, r["kind"], r["temporality"], r["value"]) for n, r in points.items()} == {
        ("my.counter", "sum", "delta", 5.0), ("my.gauge", "gauge", "", 10.0)}
    histograms = {r["metric_name"]: r for r in selectors.histograms_in_window(project.pk, *WINDOW).to_dicts()}
    explicit, exponential = histograms["my.histogram"], histograms["my.exponential.histogram"]
    assert (explicit["kind"], explicit["count"], explicit["sum"], explicit["bucket_counts"],
            explicit["explicit_bounds"]) == ("explicit", 2, 2.0, [1, 1], [1.0])
    assert (exponential["kind"], exponential["count"], exponential["sum"], exponential["zero_count"],
            exponential["positive_offset"], exponential["positive_bucket_counts"]) == (
        "exponential", 3, 10.0, 1, 1, [0, 2])


def test_logs_and_events_examples(ingest_server, project, ingest_key):
    _send(ingest_server, ingest_key, "logs.json", "/v1/logs")
    _send(ingest_server, ingest_key, "events.json", "/v1/logs")
    records = {r["event_name"]: r for r in selectors.logs_in_window(project.pk, *WINDOW).to_dicts()}
    log, event = records[""], records["browser.page_view"]
    assert (log["body"], log["severity_number"], log["severity_text"], log["trace_id"]) == (
        "Example log record", 10, "Information", "5B8EFFF798038103D269B633813FC60C")
    assert log["attributes"] == {"string.attribute": "some string", "boolean.attribute": "true",
                                 "int.attribute": "10", "double.attribute": "637.704",
                                 "array.attribute": '["many","values"]', "map.attribute": '{"some.map.key":"some value"}'}
    assert json.loads(event["body"])["title"] == "Free Online GUID Generator"
