"""Prometheus-scraped inference-server metrics as an OTel Collector forwards them (colon names,
``_total`` suffixes, old and new vLLM names), posted as OTLP/HTTP protobuf."""

import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from apps.telemetry.selectors import histograms_in_window, metric_points_in_window

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

SERVER_GAUGES = [
    ("vllm:num_requests_running", 12, "inference.requests.running", "vllm"),
    ("vllm:num_requests_waiting", 4, "inference.requests.waiting", "vllm"),
    ("vllm:kv_cache_usage_perc", 0.42, "inference.kv_cache.utilization", "vllm"),
    ("vllm:gpu_cache_usage_perc", 0.41, "inference.kv_cache.utilization", "vllm"),
    ("sglang:token_usage", 0.7, "inference.kv_cache.utilization", "sglang"),
    ("sglang:num_queue_reqs", 3, "inference.requests.waiting", "sglang"),
    ("tgi_queue_size", 2, "inference.requests.waiting", "tgi"),
    ("nv_gpu_utilization", 0.9, "gpu.utilization", "triton"),
]
SERVER_COUNTERS = [
    ("vllm:prefix_cache_queries_total", 1000, "inference.prefix_cache.queries", "vllm"),
    ("vllm:gpu_prefix_cache_hits_total", 400, "inference.prefix_cache.hits", "vllm"),
    ("nv_inference_request_duration_us", 2_500_000, "inference.request_duration", "triton"),
]


def _request(now_ns: int) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    resource = request.resource_metrics.add()
    resource.resource.attributes.add(key="service.name").value.string_value = "vllm"
    resource.resource.attributes.add(key="host.name").value.string_value = "gpu-node-9"
    metrics = resource.scope_metrics.add().metrics
    for name, value, _, _ in SERVER_GAUGES:
        point = metrics.add(name=name).gauge.data_points.add(time_unix_nano=now_ns, as_double=value)
        point.attributes.add(key="model_name").value.string_value = "llama-3-70b"
    for name, value, _, _ in SERVER_COUNTERS:
        metric = metrics.add(name=name)
        metric.sum.aggregation_temporality = 2
        metric.sum.is_monotonic = True
        metric.sum.data_points.add(time_unix_nano=now_ns, as_int=value)
    itl = metrics.add(name="vllm:time_per_output_token_seconds").histogram
    itl.aggregation_temporality = 2
    point = itl.data_points.add(time_unix_nano=now_ns, count=3, sum=0.21, explicit_bounds=[0.05, 0.1],
                                bucket_counts=[1, 1, 1])
    point.attributes.add(key="model_name").value.string_value = "llama-3-70b"
    return request


def test_inference_server_names_map_and_convert(ingest_server, project, ingest_key):
    now = timezone.now()
    body = _request(int(now.timestamp() * 1e9)).SerializeToString()
    http = urllib.request.Request(f"{ingest_server.http_url}/v1/metrics", data=body, method="POST",
                                  headers={"Content-Type": "application/x-protobuf", "x-inferops-key": ingest_key})
    with urllib.request.urlopen(http, timeout=10) as response:
        assert (response.status, response.read()) == (200, b"")

    window = (now - timedelta(minutes=1), now + timedelta(minutes=1))
    points = {r["source_name"]: r for r in metric_points_in_window(project.pk, *window).iter_rows(named=True)}
    for name, value, canonical, family in SERVER_GAUGES:
        row = points[name]
        assert (row["metric_name"], row["source"], row["host"], row["model_name"]) == (
            canonical, family, "gpu-node-9", "llama-3-70b")
        assert row["value"] == pytest.approx(value)
    for name, _, canonical, family in SERVER_COUNTERS:
        row = points[name.removesuffix("_total")]
        assert (row["metric_name"], row["source"], row["kind"], row["temporality"]) == (
            canonical, family, "sum", "cumulative")
    assert points["nv_inference_request_duration_us"]["value"] == pytest.approx(2.5)
    assert points["nv_inference_request_duration_us"]["unit"] == "s"
    histogram = histograms_in_window(project.pk, *window).to_dicts()
    assert [(h["metric_name"], h["source"], h["count"], h["bucket_counts"]) for h in histogram] == [
        ("inference.itl", "vllm", 3, [1, 1, 1])]
