"""Real OTel SDK exporters (gRPC and HTTP) → ingest → chDB; every normalised column read back."""

from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry.trace import SpanKind, Status, StatusCode

from apps.telemetry.selectors import spans_in_window
from tests.ingest.otel_clients import span_exporter, tracer_provider

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

COLUMNS = ("name", "kind", "status_code", "is_error", "dialect", "operation", "provider", "request_model",
           "response_model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
           "reasoning_tokens", "ttft_ns", "finish_reason", "error_type", "tenant", "endpoint", "host", "gpu_id",
           "agent_name", "tool_name", "conversation_id", "service_name", "scope_name")

BASE = {"kind": "client", "status_code": "unset", "is_error": 0, "request_model": "", "response_model": "",
        "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0,
        "reasoning_tokens": 0, "ttft_ns": 0, "finish_reason": "", "error_type": "", "tenant": "", "endpoint": "",
        "host": "agent-host-1", "gpu_id": "", "agent_name": "", "tool_name": "", "conversation_id": "",
        "service_name": "checkout-agent", "scope_name": "inferops.tests"}

CASES = {
    "otel_current": (
        {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
         "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": 1200,
         "gen_ai.usage.output_tokens": 300, "gen_ai.usage.cache_read.input_tokens": 200,
         "gen_ai.usage.reasoning.output_tokens": 50, "gen_ai.response.time_to_first_chunk": 0.35,
         "gen_ai.response.finish_reasons": ["stop"], "tenant.id": "acme", "http.route": "/v1/answer",
         "server.address": "api.openai.com", "gen_ai.conversation.id": "conv-9"},
        {"dialect": "otel_genai", "operation": "chat", "provider": "openai", "request_model": "gpt-4o",
         "response_model": "gpt-4o-2024-08-06", "input_tokens": 1200, "output_tokens": 300, "cache_read_tokens": 200,
         "reasoning_tokens": 50, "ttft_ns": 350_000_000, "finish_reason": "stop", "tenant": "acme",
         "endpoint": "/v1/answer", "host": "api.openai.com", "conversation_id": "conv-9"},
    ),
    "otel_deprecated": (
        {"gen_ai.system": "az.ai.openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4",
         "gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.completion_tokens": 20, "gen_ai.openai.request.seed": 7},
        {"dialect": "otel_genai_deprecated", "operation": "chat", "provider": "azure.ai.openai",
         "request_model": "gpt-4", "input_tokens": 100, "output_tokens": 20},
    ),
    "anthropic_raw_usage": (
        {"gen_ai.system": "anthropic", "gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-sonnet-4",
         "gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.cache_read.input_tokens": 50,
         "gen_ai.usage.cache_creation.input_tokens": 25, "gen_ai.usage.completion_tokens": 10},
        {"dialect": "otel_genai_deprecated", "operation": "chat", "provider": "anthropic",
         "request_model": "claude-sonnet-4", "input_tokens": 175, "output_tokens": 10, "cache_read_tokens": 50,
         "cache_write_tokens": 25},
    ),
    "anthropic_convention_total": (
        {"gen_ai.provider.name": "anthropic", "gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 175,
         "gen_ai.usage.cache_read.input_tokens": 50, "gen_ai.usage.cache_write.input_tokens": 25},
        {"dialect": "otel_genai", "operation": "chat", "provider": "anthropic", "input_tokens": 175,
         "cache_read_tokens": 50, "cache_write_tokens": 25},
    ),
    "openinference": (
        {"openinference.span.kind": "LLM", "llm.model_name": "claude-3-5-sonnet", "llm.provider": "aws",
         "llm.system": "anthropic", "llm.token_count.prompt": 500, "llm.token_count.completion": 40,
         "llm.token_count.prompt_details.cache_read": 100, "llm.token_count.prompt_details.cache_write": 20,
         "llm.token_count.completion_details.reasoning": 5, "session.id": "s-1"},
        {"dialect": "openinference", "operation": "chat", "provider": "aws.bedrock",
         "request_model": "claude-3-5-sonnet", "response_model": "claude-3-5-sonnet", "input_tokens": 500,
         "output_tokens": 40, "cache_read_tokens": 100, "cache_write_tokens": 20, "reasoning_tokens": 5,
         "conversation_id": "s-1"},
    ),
    "openllmetry": (
        {"traceloop.entity.name": "answer", "llm.request.type": "chat", "gen_ai.system": "OpenAI",
         "gen_ai.request.model": "gpt-4o-mini", "llm.usage.prompt_tokens": 80, "llm.usage.completion_tokens": 8,
         "gen_ai.usage.cache_read_input_tokens": 16},
        {"dialect": "openllmetry", "operation": "chat", "provider": "openai", "request_model": "gpt-4o-mini",
         "input_tokens": 80, "output_tokens": 8, "cache_read_tokens": 16},
    ),
    "self_hosted_on_gpu": (
        {"gen_ai.operation.name": "text_completion", "gen_ai.provider.name": "vllm", "gen_ai.request.model": "llama-3-70b",
         "host.name": "gpu-node-7", "gpu.id": "3", "gen_ai.usage.input_tokens": 4000, "gen_ai.usage.output_tokens": 250},
        {"dialect": "otel_genai", "operation": "text_completion", "provider": "vllm", "request_model": "llama-3-70b",
         "host": "gpu-node-7", "gpu_id": "3", "input_tokens": 4000, "output_tokens": 250},
    ),
}


def _export(server, key: str, transport: str, name: str, attributes: dict, kind=SpanKind.CLIENT, error=False) -> None:
    provider = tracer_provider(span_exporter(transport, server, key), **{"host.name": "agent-host-1"})
    tracer = provider.get_tracer("inferops.tests")
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
        if error:
            span.set_status(Status(StatusCode.ERROR, "tool timed out"))
    assert provider.force_flush(10_000)
    provider.shutdown()


def _read_back(project, name: str) -> dict:
    now = timezone.now()
    frame = spans_in_window(project.pk, now - timedelta(minutes=5), now + timedelta(minutes=1))
    rows = [row for row in frame.iter_rows(named=True) if row["name"] == name]
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("transport", ["grpc", "http"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_dialects_normalise_into_typed_columns(ingest_server, project, ingest_key, transport, case):
    attributes, expected = CASES[case]
    _export(ingest_server, ingest_key, transport, f"span {case}", attributes)
    row = _read_back(project, f"span {case}")
    assert {c: row[c] for c in COLUMNS} == {**BASE, "name": f"span {case}", **expected}


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_attribute_map_keeps_current_names_only(ingest_server, project, ingest_key, transport):
    attributes, _ = CASES["otel_deprecated"]
    _export(ingest_server, ingest_key, transport, "deprecated names", attributes)
    stored = _read_back(project, "deprecated names")["span_attributes"]
    assert {k: stored.get(k) for k in ("gen_ai.provider.name", "gen_ai.usage.input_tokens",
                                       "gen_ai.usage.output_tokens", "gen_ai.request.seed", "gen_ai.system",
                                       "gen_ai.usage.prompt_tokens")} == {
        "gen_ai.provider.name": "azure.ai.openai", "gen_ai.usage.input_tokens": "100",
        "gen_ai.usage.output_tokens": "20", "gen_ai.request.seed": "7", "gen_ai.system": None,
        "gen_ai.usage.prompt_tokens": None}


def test_failed_tool_call_is_an_error_with_its_type(ingest_server, project, ingest_key):
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "web_search",
                  "error.type": "TimeoutError", "gen_ai.agent.name": "planner"}
    _export(ingest_server, ingest_key, "http", "execute_tool web_search", attributes, kind=SpanKind.INTERNAL,
            error=True)
    row = _read_back(project, "execute_tool web_search")
    assert (row["operation"], row["kind"], row["status_code"], row["status_message"], row["is_error"],
            row["error_type"], row["tool_name"], row["agent_name"]) == (
        "execute_tool", "internal", "error", "tool timed out", 1, "TimeoutError", "web_search", "planner")


def test_resource_and_scope_are_kept(ingest_server, project, ingest_key):
    _export(ingest_server, ingest_key, "grpc", "resource check", {"gen_ai.operation.name": "chat"})
    row = _read_back(project, "resource check")
    assert row["resource_attributes"]["service.name"] == "checkout-agent"
    assert row["resource_attributes"]["host.name"] == "agent-host-1"
    assert len(row["trace_id"]) == 32 and len(row["span_id"]) == 16
