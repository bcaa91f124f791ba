"""Build realistic OTLP trace requests: agentic traces with ~20 attributes per span."""

import os
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

OPERATIONS = ("invoke_agent", "chat", "execute_tool", "retrieval", "chat", "run_guardrail")


def agentic_request(spans: int = 512, *, service: str = "support-agent", tenant: str = "acme",
                    now_ns: int | None = None) -> ExportTraceServiceRequest:
    """One request of ``spans`` spans grouped into traces of 8 (agent → plan/tool/LLM/guardrail)."""
    now_ns = now_ns or time.time_ns()
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    for key, value in (("service.name", service), ("host.name", "agent-1"), ("deployment.environment", "prod")):
        resource.resource.attributes.add(key=key).value.string_value = value
    scope = resource.scope_spans.add()
    scope.scope.name = "inferops.bench"
    trace_id = root_id = b""
    for index in range(spans):
        if index % 8 == 0:
            trace_id, root_id = os.urandom(16), os.urandom(8)
        span = scope.spans.add(trace_id=trace_id, span_id=root_id if index % 8 == 0 else os.urandom(8),
                               parent_span_id=b"" if index % 8 == 0 else root_id, kind=3,
                               start_time_unix_nano=now_ns + index * 1000,
                               end_time_unix_nano=now_ns + index * 1000 + 250_000_000)
        operation = OPERATIONS[index % len(OPERATIONS)]
        span.name = f"{operation} gpt-4o"
        _attributes(span, operation, tenant, index)
    return request


def _attributes(span, operation: str, tenant: str, index: int) -> None:
    strings = {"gen_ai.operation.name": operation, "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
               "gen_ai.response.model": "gpt-4o-2024-08-06", "tenant.id": tenant, "http.route": "/v1/answer",
               "server.address": "api.openai.com", "gen_ai.agent.name": "support", "gen_ai.conversation.id": f"c{index}",
               "gen_ai.response.id": f"resp-{index}", "user.id": f"user-{index % 50}", "team": "growth"}
    for key, value in strings.items():
        span.attributes.add(key=key).value.string_value = value
    ints = {"gen_ai.usage.input_tokens": 1000 + index, "gen_ai.usage.output_tokens": 200,
            "gen_ai.usage.cache_read.input_tokens": 100, "server.port": 443, "gen_ai.request.max_tokens": 1024}
    for key, value in ints.items():
        span.attributes.add(key=key).value.int_value = value
    span.attributes.add(key="gen_ai.request.temperature").value.double_value = 0.2
    span.attributes.add(key="gen_ai.response.time_to_first_chunk").value.double_value = 0.12
    span.attributes.add(key="gen_ai.request.stream").value.bool_value = True


def deep_unknown_groups(depth: int = 70) -> bytes:
    """Unknown fields as groups nested ``depth`` deep: valid protobuf (upb reads up to 100 levels) that
    ClickHouse's Protobuf input refuses and the span rows' walk (64 levels) does not follow."""
    return b"".join(_tag(n, 3) for n in range(1, depth + 1)) + b"".join(_tag(n, 4) for n in range(depth, 0, -1))


def _tag(number: int, wire: int) -> bytes:
    value, out = number << 3 | wire, bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
