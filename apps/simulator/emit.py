"""Send the simulated traffic through the real OpenTelemetry SDK and its OTLP exporters.

Spans are real SDK spans (one ``TracerProvider`` per service, so each has its own resource, with
a seeded id generator); metrics are SDK metric data. Both go out through the SDK's OTLP exporters
(HTTP/protobuf or gRPC). Unlike ``BatchSpanProcessor``, which drops spans when its queue is full,
the processor here blocks the generator when the exporters fall behind: a backfill never loses
data to its own speed, and the ingest server's 429/503 answers slow it down (the exporters retry
with backoff).
"""

import logging
import queue
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.metrics.export import MetricExportResult, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Status, StatusCode

from . import dialects
from .fleet import ServiceSpec
from .workload import TraceSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    endpoint: str              # http://host:4318 (HTTP) or host:4317 (gRPC)
    protocol: str              # "http/protobuf" or "grpc"
    key: str
    timeout_s: float = 10.0


class SeededIds(IdGenerator):
    """Trace and span ids from a seeded RNG, so a run with the same seed sends the same ids."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def generate_span_id(self) -> int:
        return self.rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self.rng.getrandbits(128) or 1

    def is_trace_id_random(self) -> bool:
        return True


def span_exporter(target: Target) -> SpanExporter:
    headers = {"authorization": f"Bearer {target.key}"}
    if target.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc import trace_exporter as grpc_traces
        return grpc_traces.OTLPSpanExporter(endpoint=target.endpoint, insecure=True, headers=headers,
                                            timeout=target.timeout_s, compression=grpc_compression())
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http import trace_exporter as http_traces
    return http_traces.OTLPSpanExporter(endpoint=f"{target.endpoint}/v1/traces", headers=headers,
                                        timeout=target.timeout_s, compression=Compression.Gzip)


def metric_exporter(target: Target):
    headers = {"authorization": f"Bearer {target.key}"}
    if target.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc import metric_exporter as grpc_metrics
        return grpc_metrics.OTLPMetricExporter(endpoint=target.endpoint, insecure=True, headers=headers,
                                               timeout=target.timeout_s, compression=grpc_compression())
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http import metric_exporter as http_metrics
    return http_metrics.OTLPMetricExporter(endpoint=f"{target.endpoint}/v1/metrics", headers=headers,
                                           timeout=target.timeout_s, compression=Compression.Gzip)


def grpc_compression():
    import grpc
    return grpc.Compression.Gzip


@dataclass
class Tally:
    """What a piece of a run generated and what the exporters delivered; tallies add up."""

    traces: int = 0
    spans: int = 0
    traces_by_tenant: Counter = field(default_factory=Counter)
    sent: Counter = field(default_factory=Counter)            # spans, spans_failed, metric_requests, …
    spans_by_service: Counter = field(default_factory=Counter)

    def count(self, traces: list[TraceSpec]) -> None:
        self.traces += len(traces)
        self.spans += sum(len(trace.spans) for trace in traces)
        self.traces_by_tenant.update(trace.tenant for trace in traces)

    def add(self, other: "Tally") -> None:
        self.traces += other.traces
        self.spans += other.spans
        self.traces_by_tenant.update(other.traces_by_tenant)
        self.sent.update(other.sent)
        self.spans_by_service.update(other.spans_by_service)


class ExportPipeline:
    """Worker threads, each with its own exporters, fed through a bounded queue (backpressure)."""

    def __init__(self, target: Target, workers: int = 1, depth: int = 4):
        self._sent = Tally()
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._threads = [threading.Thread(target=self._work, args=(target,), name=f"sim-export-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def spans(self, batch: list[ReadableSpan]) -> None:
        self._queue.put(lambda exporters: self._export_spans(exporters[0], batch))

    def metrics(self, data: MetricsData) -> None:
        self._queue.put(lambda exporters: self._export_metrics(exporters[1], data))

    def drain(self) -> None:
        """Wait until everything submitted so far has been exported (or refused)."""
        self._queue.join()

    def take_sent(self) -> Tally:
        with self._lock:
            sent, self._sent = self._sent, Tally()
        return sent

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self, target: Target) -> None:
        exporters = (span_exporter(target), metric_exporter(target))
        while (job := self._queue.get()) is not None:
            try:
                job(exporters)
            finally:
                self._queue.task_done()
        self._queue.task_done()
        for exporter in exporters:
            exporter.shutdown()

    def _export_spans(self, exporter: SpanExporter, batch: list[ReadableSpan]) -> None:
        ok = exporter.export(batch) == SpanExportResult.SUCCESS
        services = Counter(str(span.resource.attributes.get("service.name")) for span in batch)
        with self._lock:
            if ok:
                self._sent.sent["spans"] += len(batch)
                self._sent.spans_by_service.update(services)
            else:
                self._sent.sent["spans_failed"] += len(batch)
        if not ok:
            logger.error("simulator: the ingest endpoint refused %d spans", len(batch))

    def _export_metrics(self, exporter, data: MetricsData) -> None:
        ok = exporter.export(data) == MetricExportResult.SUCCESS
        with self._lock:
            self._sent.sent["metric_requests" if ok else "metric_requests_failed"] += 1
        if not ok:
            logger.error("simulator: the ingest endpoint refused a metrics export")


class BlockingBatchProcessor(SpanProcessor):
    """Collects ended spans and hands full batches to the pipeline, blocking when it is busy."""

    def __init__(self, pipeline: ExportPipeline, batch_size: int = 2048):
        self.pipeline = pipeline
        self.batch_size = batch_size
        self._batch: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self._batch.append(span)
        if len(self._batch) >= self.batch_size:
            self.force_flush()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        if self._batch:
            batch, self._batch = self._batch, []
            self.pipeline.spans(batch)
        return True


class SpanEmitter:
    """Turns ``TraceSpec`` objects into SDK spans, with one provider (resource) per service."""

    def __init__(self, services: tuple[ServiceSpec, ...], processor: BlockingBatchProcessor, ids: IdGenerator,
                 environment: str):
        self.processor = processor
        self.providers = {}
        for service in services:
            resource = Resource.create({
                "service.name": service.name, "service.version": service.version, "service.namespace": "agents",
                "deployment.environment.name": environment, "host.name": f"{service.name}-7f9c",
                "inferops.team": service.team,
            })
            provider = TracerProvider(resource=resource, id_generator=ids)
            provider.add_span_processor(processor)
            self.providers[service.name] = provider
        self._tracers = {(name, dialect): provider.get_tracer(scope, "1.0.0")
                         for name, provider in self.providers.items() for dialect, scope in dialects.SCOPES.items()}

    def emit(self, trace: TraceSpec) -> int:
        tracer = self._tracers[(trace.service, trace.dialect)]
        spans: list[trace_api.Span] = []
        for spec in trace.spans:
            context = trace_api.set_span_in_context(spans[spec.parent]) if spec.parent >= 0 else Context()
            span = tracer.start_span(spec.name, context=context, kind=spec.kind, attributes=spec.attributes,
                                     start_time=_ns(spec.start))
            for name, at, attributes in spec.events:
                span.add_event(name, attributes, timestamp=_ns(at))
            if spec.error:
                span.set_status(Status(StatusCode.ERROR, spec.error))
            spans.append(span)
        # Children end before their parents, as they do in a real process.
        for span, spec in zip(reversed(spans), reversed(trace.spans), strict=True):
            span.end(end_time=_ns(spec.end))
        return len(spans)

    def flush(self) -> None:
        self.processor.force_flush()


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)
