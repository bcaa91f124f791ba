"""Real OpenTelemetry SDK pipelines pointed at a test ingest server."""

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


def span_exporter(transport: str, server, key: str):
    if transport == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True,
                                headers=(("authorization", f"Bearer {key}"),))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{server.http_url}/v1/traces", headers={"x-inferops-key": key})


def metric_exporter(transport: str, server, key: str):
    if transport == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True,
                                  headers=(("authorization", f"Bearer {key}"),))
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(endpoint=f"{server.http_url}/v1/metrics", headers={"authorization": f"Bearer {key}"})


def log_exporter(transport: str, server, key: str):
    if transport == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

        return OTLPLogExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True,
                               headers=(("authorization", f"Bearer {key}"),))
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return OTLPLogExporter(endpoint=f"{server.http_url}/v1/logs", headers={"authorization": f"Bearer {key}"})


def tracer_provider(exporter, **resource) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout-agent", **resource}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider
