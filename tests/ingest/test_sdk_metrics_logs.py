"""Real OTel SDK metric and log exporters → ingest → chDB, with GPU/inference-server vocabularies."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from apps.telemetry.selectors import histograms_in_window, logs_in_window, metric_points_in_window
from tests.ingest.otel_clients import log_exporter, metric_exporter, span_exporter, tracer_provider

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

DCGM_LABELS = {"gpu": "0", "UUID": "GPU-1a2b", "modelName": "NVIDIA H100 80GB HBM3", "Hostname": "gpu-node-1",
               "pod": "vllm-0", "namespace": "inference"}

# (source name, value, attributes) → (canonical name, value, unit, source family)
GAUGES = [
    ("DCGM_FI_DEV_GPU_UTIL", 87, DCGM_LABELS, ("gpu.utilization", 0.87, "1", "dcgm")),
    ("DCGM_FI_DEV_FB_USED", 1024, DCGM_LABELS, ("gpu.memory.used", 1024 * 1048576, "By", "dcgm")),
    ("DCGM_FI_DEV_POWER_USAGE", 412.5, DCGM_LABELS, ("gpu.power", 412.5, "W", "dcgm")),
    ("DCGM_FI_PROF_SM_ACTIVE", 0.64, DCGM_LABELS, ("gpu.sm_active", 0.64, "1", "dcgm")),
    ("hw.gpu.utilization", 0.5, {"hw.id": "1", "hostname": "gpu-node-2"}, ("gpu.utilization", 0.5, "1", "hw")),
    ("gpu.temperature", 71, {"gpu.index": "0", "host.name": "gpu-node-3"}, ("gpu.temperature", 71, "Cel", "openlit")),
    ("gpu_cache_usage_perc", 0.40, {"model_name": "llama-3-8b", "hostname": "gpu-node-1"},
     ("inference.kv_cache.utilization", 0.40, "1", "nim")),
]


def _meter_provider(exporter) -> tuple[MeterProvider, PeriodicExportingMetricReader]:
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    return MeterProvider(resource=Resource.create({"service.name": "gpu-exporter"}), metric_readers=[reader]), reader


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_gpu_and_server_gauges_map_to_one_naming(ingest_server, project, ingest_key, transport):
    provider, reader = _meter_provider(metric_exporter(transport, ingest_server, ingest_key))
    meter = provider.get_meter("dcgm-bridge")
    for name, value, attributes, _ in GAUGES:
        meter.create_gauge(name).set(value, attributes)
    energy = meter.create_counter("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION")
    energy.add(5000, DCGM_LABELS)
    provider.shutdown()  # one final collect and export

    now = timezone.now()
    rows = metric_points_in_window(project.pk, now - timedelta(minutes=5), now + timedelta(minutes=1))
    stored = {(r["source_name"], r["attributes"].get("model_name", "")): r for r in rows.iter_rows(named=True)}
    for name, _, attributes, (canonical, value, unit, family) in GAUGES:
        # The SDK lower-cases instrument names (they are case-insensitive in OTel); mapping must cope.
        row = stored[(name.lower(), attributes.get("model_name", ""))]
        assert (row["metric_name"], row["unit"], row["source"], row["kind"]) == (canonical, unit, family, "gauge")
        assert row["value"] == pytest.approx(value)
    dcgm = stored[("dcgm_fi_dev_gpu_util", "")]
    assert (dcgm["host"], dcgm["gpu_id"], dcgm["gpu_uuid"], dcgm["gpu_model"], dcgm["pod"], dcgm["namespace"]) == (
        "gpu-node-1", "0", "GPU-1a2b", "NVIDIA H100 80GB HBM3", "vllm-0", "inference")
    assert stored[("gpu_cache_usage_perc", "llama-3-8b")]["model_name"] == "llama-3-8b"
    joules = stored[("dcgm_fi_dev_total_energy_consumption", "")]
    assert (joules["metric_name"], joules["value"], joules["unit"], joules["kind"], joules["is_monotonic"],
            joules["temporality"]) == ("gpu.energy", 5.0, "J", "sum", 1, "cumulative")


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_histograms_keep_buckets_and_map_server_names(ingest_server, project, ingest_key, transport):
    provider, reader = _meter_provider(metric_exporter(transport, ingest_server, ingest_key))
    meter = provider.get_meter("nim")
    bounds = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
    ttft = meter.create_histogram("time_to_first_token_seconds", unit="s",
                                  explicit_bucket_boundaries_advisory=bounds)
    for value in (0.03, 0.07, 0.3, 0.3, 12.0):
        ttft.record(value, {"model_name": "llama-3-70b", "hostname": "gpu-node-1"})
    provider.shutdown()  # one final collect and export

    now = timezone.now()
    rows = histograms_in_window(project.pk, now - timedelta(minutes=5), now + timedelta(minutes=1)).to_dicts()
    assert len(rows) == 1
    row = rows[0]
    assert (row["metric_name"], row["source"], row["kind"], row["count"], row["explicit_bounds"], row["host"]) == (
        "inference.ttft", "nim", "explicit", 5, bounds, "gpu-node-1")
    assert row["sum"] == pytest.approx(12.7)
    assert (row["min"], row["max"]) == (pytest.approx(0.03), pytest.approx(12.0))
    assert row["bucket_counts"] == [0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_logs_keep_body_severity_attributes_and_trace_context(ingest_server, project, ingest_key, transport):
    logger_provider = LoggerProvider(resource=Resource.create({"service.name": "checkout-agent"}))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter(transport, ingest_server,
                                                                                   ingest_key)))
    logger = logging.getLogger(f"inferops.test.{transport}")
    logger.propagate = False
    logger.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))
    tracer = tracer_provider(span_exporter(transport, ingest_server, ingest_key)).get_tracer("t")
    with tracer.start_as_current_span("with log") as span:
        logger.warning("tool %s failed", "web_search", extra={"gen_ai.tool.name": "web_search"})
        trace_id = format(span.get_span_context().trace_id, "032x").upper()
    assert logger_provider.force_flush(10_000)
    logger_provider.shutdown()

    now = timezone.now()
    rows = logs_in_window(project.pk, now - timedelta(minutes=5), now + timedelta(minutes=1)).to_dicts()
    assert len(rows) == 1
    row = rows[0]
    assert (row["body"], row["severity_number"], row["severity_text"], row["trace_id"], row["service_name"],
            row["attributes"]["gen_ai.tool.name"]) == (
        "tool web_search failed", 13, "WARN", trace_id, "checkout-agent", "web_search")
