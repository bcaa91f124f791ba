"""Send LLM calls and GPU metrics through the real OTel SDK exporters to the test ingest server."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Metric,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from tests.ingest.otel_clients import metric_exporter, span_exporter


@dataclass
class Call:
    at: datetime
    model: str
    provider: str = "openai"
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    seconds: float = 1.0
    tenant: str = "acme"
    error: bool = False
    host: str = ""
    gpu_id: str = ""
    attributes: dict = field(default_factory=dict)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


def send_calls(server, key: str, calls: list[Call], service: str = "support-agent") -> None:
    """Each call as a root agent span with one LLM client span under it (one trace per call)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    processor = BatchSpanProcessor(span_exporter("http", server, key), max_queue_size=50_000,
                                   max_export_batch_size=2_000)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("cost-tests")
    for call in calls:
        end = call.at + timedelta(seconds=call.seconds)
        root = tracer.start_span("POST /v1/answer", kind=SpanKind.SERVER, start_time=_ns(call.at),
                                 attributes={"http.route": "/v1/answer", "tenant.id": call.tenant})
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": call.provider,
                      "gen_ai.request.model": call.model, "gen_ai.response.model": call.model,
                      "tenant.id": call.tenant, **call.attributes}
        for key_name, value in (("gen_ai.usage.input_tokens", call.input_tokens),
                                ("gen_ai.usage.output_tokens", call.output_tokens),
                                ("gen_ai.usage.cache_read.input_tokens", call.cache_read),
                                ("gen_ai.usage.cache_creation.input_tokens", call.cache_write),
                                ("gen_ai.usage.reasoning.output_tokens", call.reasoning),
                                ("host.name", call.host), ("gpu.id", call.gpu_id)):
            if value:
                attributes[key_name] = value
        child = tracer.start_span(f"chat {call.model}", kind=SpanKind.CLIENT, start_time=_ns(call.at),
                                  context=set_span_in_context(root), attributes=attributes)
        if call.error:
            child.set_status(Status(StatusCode.ERROR, "upstream error"))
        child.end(end_time=_ns(end))
        root.end(end_time=_ns(end))
    assert processor.force_flush(60_000)
    provider.shutdown()


def send_gpu_utilisation(server, key: str, host: str, gpu_id: str, gpu_model: str,
                         samples: list[tuple[datetime, float]]) -> None:
    """DCGM-exporter utilisation samples (percent) of one GPU, as a Collector scraping it sends them."""
    labels = {"gpu": gpu_id, "modelName": gpu_model, "hostname": host, "UUID": f"GPU-{host}-{gpu_id}"}
    points = [NumberDataPoint(labels, 0, _ns(at), percent) for at, percent in samples]
    resource = Resource({"service.name": "dcgm-exporter", "host.name": host})
    scope = InstrumentationScope("otelcol/prometheusreceiver", "0.139.0")
    data = MetricsData([ResourceMetrics(resource, [ScopeMetrics(
        scope, [Metric("DCGM_FI_DEV_GPU_UTIL", "", "", Gauge(points))], "")], "")])
    exporter = metric_exporter("http", server, key)
    assert exporter.export(data) == MetricExportResult.SUCCESS
    exporter.shutdown()
