"""Tables derived while ingesting: guardrail decisions, per-trace summaries, per-minute rollups."""

import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from apps.telemetry import selectors
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
MS = 1_000_000


def _attr(target, key: str, value) -> None:
    kv = target.attributes.add(key=key)
    field = {str: "string_value", int: "int_value", float: "double_value", bool: "bool_value"}[type(value)]
    setattr(kv.value, field, value)


def _span(scope, trace_id: bytes, name: str, start_ns: int, duration_ms: int, parent: bytes = b"", **attributes):
    span = scope.spans.add(trace_id=trace_id, span_id=os.urandom(8), parent_span_id=parent, name=name, kind=3,
                           start_time_unix_nano=start_ns, end_time_unix_nano=start_ns + duration_ms * MS)
    for key, value in attributes.items():
        _attr(span, key.replace("__", "."), value)
    return span


def _send(server, key: str, request: ExportTraceServiceRequest) -> None:
    reply = post(server, "/v1/traces", request.SerializeToString(),
                 {"Content-Type": "application/x-protobuf", "x-inferops-key": key})
    assert (reply.status, reply.body) == (200, b"")


def _agent_trace(now_ns: int) -> tuple[ExportTraceServiceRequest, bytes]:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    _attr(resource.resource, "service.name", "support-agent")
    scope = resource.scope_spans.add()
    trace_id = os.urandom(16)
    root = _span(scope, trace_id, "invoke_agent support", now_ns, 3000, gen_ai__operation__name="invoke_agent",
                 tenant__id="acme")
    common = {"gen_ai__operation__name": "chat", "gen_ai__provider__name": "openai", "gen_ai__request__model": "gpt-4o"}
    for index, (duration, ttft, output) in enumerate(((1000, 0.2, 101), (2000, 0.4, 201))):
        _span(scope, trace_id, f"chat gpt-4o #{index}", now_ns + index * 1000 * MS, duration, root.span_id,
              gen_ai__usage__input_tokens=1000, gen_ai__usage__output_tokens=output,
              gen_ai__response__time_to_first_chunk=ttft, **common)
    guard = _span(scope, trace_id, "run_guardrail pii-filter", now_ns, 15, root.span_id,
                  gen_ai__operation__name="run_guardrail", gen_ai__guardrail__target__type="input",
                  gen_ai__guardrail__verdict__type="deny", gen_ai__guardrail__action__type="block",
                  gen_ai__guardrail__component__name="pii-filter", gen_ai__guardrail__security__policy__id="pii",
                  gen_ai__guardrail__security__policy__version="7", gen_ai__guardrail__security__risk__score=0.92,
                  gen_ai__guardrail__security__content__input__hash="hmac-sha256:ab12", user__id="u-1")
    event = scope.spans[1].events.add(time_unix_nano=now_ns + 5 * MS, name="gen_ai.guardrail.security.finding")
    for key, value in (("gen_ai.guardrail.verdict.type", "warn"), ("gen_ai.guardrail.target.type", "output"),
                       ("gen_ai.guardrail.security.policy.id", "toxicity")):
        _attr(event, key, value)
    assert guard.name
    return request, trace_id


def test_guardrail_spans_and_events_become_decisions(ingest_server, project, ingest_key):
    now = timezone.now()
    request, _ = _agent_trace(time.time_ns())
    _send(ingest_server, ingest_key, request)
    decisions = selectors.guardrail_decisions_in_window(project.pk, now - timedelta(minutes=1),
                                                        now + timedelta(minutes=1)).to_dicts()
    summary = sorted((d["source"], d["policy_id"], d["policy_version"], d["phase"], d["verdict"], d["action"],
                      d["component_name"], d["content_hash"], d["user_id"], d["tenant"]) for d in decisions)
    assert summary == [
        ("event", "toxicity", "", "output", "warn", "", "", "", "", ""),
        ("span", "pii", "7", "input", "deny", "block", "pii-filter", "hmac-sha256:ab12", "u-1", "")]
    span_decision = next(d for d in decisions if d["source"] == "span")
    assert (span_decision["risk_score"], span_decision["latency_ns"]) == (pytest.approx(0.92), 15 * MS)


def test_trace_summary_merges_all_spans(ingest_server, project, ingest_key):
    now = timezone.now()
    request, trace_id = _agent_trace(time.time_ns())
    _send(ingest_server, ingest_key, request)
    summary = selectors.trace_summary(project.pk, trace_id.hex().upper(), now - timedelta(minutes=1),
                                      now + timedelta(minutes=1))
    assert {k: summary[k] for k in ("span_count", "llm_calls", "input_tokens", "output_tokens", "root_name",
                                    "root_service", "root_duration_ns", "services", "models", "tenants")} == {
        "span_count": 4, "llm_calls": 2, "input_tokens": 2000, "output_tokens": 302,
        "root_name": "invoke_agent support", "root_service": "support-agent", "root_duration_ns": 3000 * MS,
        "services": ["support-agent"], "models": ["gpt-4o"], "tenants": ["acme"]}


def test_rollups_hold_counts_and_quantile_states(ingest_server, project, ingest_key):
    now = timezone.now()
    request, _ = _agent_trace(time.time_ns())
    _send(ingest_server, ingest_key, request)
    [row] = selectors.rollup_by_model(project.pk, now - timedelta(minutes=2), now + timedelta(minutes=2),
                                      ["chat"]).to_dicts()
    assert (row["model"], row["requests"], row["errors"], row["input_tokens"], row["output_tokens"]) == (
        "gpt-4o", 2, 0, 2000, 302)
    assert row["duration_ms"][0] == pytest.approx(1000, rel=0.01)
    assert row["duration_ms"][3] == pytest.approx(2000, rel=0.01)
    assert row["ttft_ms"][0] == pytest.approx(200, rel=0.01)
    # TPOT = (duration − TTFT) / (output tokens − 1): (1000−200)/100 = 8 ms, (2000−400)/200 = 8 ms.
    assert row["tpot_ms"][0] == pytest.approx(8, rel=0.01)
