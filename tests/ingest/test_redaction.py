"""Redaction at ingest: prompt and completion content sent through real OTel SDK exporters (spans in the
three dialects, span events, GenAI log events) never reaches the warehouse under the default (drop) —
searched for in every table — is stored as the project's HMAC under hash, and as sent under keep; a
client cannot choose for itself by smuggling the envelope's fields into its request."""

import time
import uuid

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

from apps.audit import decisions
from apps.core.models import KeyKind
from apps.core.services import api_key_create, project_create
from ingest import auth
from ingest.envelope import KEEP, redaction_fields
from ingest.redaction import hashed
from tests.ingest.http_client import post
from tests.ingest.otel_clients import log_exporter, span_exporter, tracer_provider

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "input.value", "output.value",
                "llm.input_messages.0.message.content", "llm.output_messages.0.message.content",
                "gen_ai.prompt.0.content", "gen_ai.completion.0.content", "traceloop.entity.input",
                "retrieval.documents.0.document.content", "gen_ai.guardrail.security.content.input.value")


def _project(mode: str):
    project = project_create(f"redact-{mode}-{uuid.uuid4().hex[:8]}")
    if mode != "default":
        project.content_redaction = mode
        project.save()
    return project, api_key_create(project, kind=KeyKind.INGEST, name="t").plaintext


def _send(ingest_server, key: str, secret: str) -> None:
    """The secret in every content attribute, in a span event and in a GenAI log event's body."""
    provider = tracer_provider(span_exporter("http", ingest_server, key))
    tracer = provider.get_tracer("inferops.tests")
    attributes = {k: f'[{{"role": "user", "content": "{secret}"}}]' for k in CONTENT_KEYS}
    with tracer.start_as_current_span("chat gpt-4o", attributes={
            **attributes, "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
            "gen_ai.provider.name": "openai", "openinference.span.kind": "LLM", "gen_ai.prompt.name": "support",
            "gen_ai.prompt.version": "12"}) as span:
        span.add_event("gen_ai.content.prompt", {"gen_ai.prompt": secret, "gen_ai.event.content": secret})
    with tracer.start_as_current_span("run_guardrail pii", attributes={
            "gen_ai.operation.name": "run_guardrail", "gen_ai.guardrail.verdict.type": "deny",
            "gen_ai.guardrail.security.content.input.value": secret,
            "gen_ai.guardrail.security.content.input.hash": "sha256:abc"}):
        pass
    provider.shutdown()
    logs = LoggerProvider()
    logs.add_log_record_processor(SimpleLogRecordProcessor(log_exporter("http", ingest_server, key)))
    logs.get_logger("inferops.tests").emit(
        timestamp=time.time_ns(), body={"content": secret}, severity_number=SeverityNumber.INFO,
        event_name="gen_ai.user.message", attributes={"gen_ai.input.messages": secret, "gen_ai.system": "openai"})
    logs.shutdown()


def _tables_holding(warehouse, text: str) -> dict[str, int]:
    """Every stored table of the warehouse, searched row by row for ``text``."""
    tables = warehouse.admin_query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree%'")["name"]
    found = {}
    for table in tables.to_list():
        count = warehouse.admin_query(f"SELECT count() AS n FROM {table} WHERE position(formatRow('TSVRaw', *), "
                                      "{t:String}) > 0", {"t": text})["n"][0]
        if count:
            found[table] = count
    return found


def _span_attributes(warehouse, project_id: int) -> dict:
    frame = warehouse.admin_query("SELECT span_attributes FROM spans WHERE project_id = {p:UInt64} AND "
                                  "name = 'chat gpt-4o'", {"p": project_id})
    return dict(frame["span_attributes"][0])


def test_by_default_no_prompt_text_reaches_any_table(ingest_server, warehouse, settings):
    settings.AUDIT_DECISION_SETTLE_SECONDS = 0
    project, key = _project("default")
    secret = f"SECRET-PROMPT-{uuid.uuid4().hex}"
    _send(ingest_server, key, secret)
    time.sleep(1.05)
    assert decisions.chain_new(project.pk) == 1           # the guardrail decision is in the ledger too
    assert _tables_holding(warehouse, secret) == {}
    stored = _span_attributes(warehouse, project.pk)
    assert not set(CONTENT_KEYS) & set(stored)
    assert (stored["gen_ai.request.model"], stored["gen_ai.prompt.name"], stored["gen_ai.prompt.version"]) == (
        "gpt-4o", "support", "12"), "only content goes; the rest of the span (prompt name, version) stays"
    logs = warehouse.admin_query("SELECT body, attributes FROM logs WHERE project_id = {p:UInt64}", {"p": project.pk})
    assert logs["body"].to_list() == [""] and dict(logs["attributes"][0]) == {"gen_ai.system": "openai"}


def test_hash_stores_the_projects_hmac_and_keep_stores_the_text(ingest_server, warehouse):
    hashing, hash_key = _project("hash")
    keeping, keep_key = _project("keep")
    secret = f"SECRET-PROMPT-{uuid.uuid4().hex}"
    _send(ingest_server, hash_key, secret)
    _send(ingest_server, keep_key, secret + "-kept")
    assert {t for t in _tables_holding(warehouse, secret + "-kept")} >= {"spans", "logs"}, "the search finds text"
    assert _tables_holding(warehouse, secret + '"') == {}, "the hashing project's text is nowhere"
    stored = _span_attributes(warehouse, hashing.pk)
    sent = f'[{{"role": "user", "content": "{secret}"}}]'
    assert {stored[k] for k in CONTENT_KEYS} == {hashed(hashing.pk, sent)}
    assert stored["gen_ai.request.model"] == "gpt-4o"
    assert hashed(hashing.pk, sent) != hashed(keeping.pk, sent), "keys differ per project"


def test_a_client_cannot_smuggle_its_own_redaction_choice(ingest_server, warehouse):
    project, key = _project("default")
    secret = f"SECRET-PROMPT-{uuid.uuid4().hex}"
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(
        trace_id=uuid.uuid4().bytes, span_id=uuid.uuid4().bytes[:8], name="chat", kind=3,
        start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns() + 1000)
    span.attributes.add(key="gen_ai.input.messages").value.string_value = secret
    body = request.SerializeToString() + redaction_fields(KEEP)       # fields 1006-1008 from the client
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": "application/x-protobuf", "x-inferops-key": key})
    assert reply.status == 200
    assert _tables_holding(warehouse, secret) == {}
    assert auth.redaction(project.pk) == redaction_fields(0)
