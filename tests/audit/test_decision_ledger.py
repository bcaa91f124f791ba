"""The policy and guardrail decision ledger: decisions ingested through OTLP in each dialect (OTel GenAI
spans and finding events, OpenInference GUARDRAIL spans, OpenLIT guard.* attributes) are chained once
each, in order, sealed into signed checkpoints, and every kind of tampering with the warehouse rows
(a changed byte, a deleted, reordered or inserted record) is found at its record."""

import os
import time

import pytest
from django.core.management import CommandError, call_command
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from apps.audit import decisions
from apps.audit.integrity import chain
from apps.audit.models import AuditCheckpoint
from tests.ingest.http_client import post
from tests.ingest.otel_clients import span_exporter, tracer_provider

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
MS = 1_000_000


@pytest.fixture(autouse=True)
def no_settle(settings):
    settings.AUDIT_DECISION_SETTLE_SECONDS = 0


def chain_arrived(project_id: int) -> int:
    """Chain what has arrived: decisions are taken by whole seconds of arrival, so wait for this one to end."""
    time.sleep(1.05 - time.time() % 1)
    return decisions.chain_new(project_id)

OTEL_GENAI = {"gen_ai.operation.name": "run_guardrail", "gen_ai.guardrail.component.name": "pii-filter",
              "gen_ai.guardrail.security.policy.id": "pii", "gen_ai.guardrail.security.policy.version": "7",
              "gen_ai.guardrail.security.policy.rule.id": "email", "gen_ai.guardrail.target.type": "input",
              "gen_ai.guardrail.verdict.type": "deny", "gen_ai.guardrail.action.type": "block",
              "gen_ai.guardrail.security.risk.category": "privacy", "gen_ai.guardrail.security.risk.score": 0.92,
              "gen_ai.guardrail.security.content.input.hash": "hmac-sha256:ab12", "user.id": "u-1",
              "tenant.id": "acme", "gen_ai.request.model": "gpt-4o"}
OPENINFERENCE = {"openinference.span.kind": "GUARDRAIL", "guardrail.name": "jailbreak-detector",
                 "guardrail.policy.id": "jailbreak", "guardrail.policy.version": "2", "guardrail.verdict": "allow",
                 "session.id": "s-1", "enduser.id": "u-2", "tenant.id": "globex"}
OPENLIT = {"guard.validator": "prompt_injection", "guard.policy.id": "injection", "guard.phase": "input",
           "guard.verdict": "block", "guard.action": "block", "guard.score": 0.81,
           "guard.classification": "instruction override", "tenant.id": "acme"}


def _send_dialects(ingest_server, ingest_key) -> dict[str, str]:
    """One span per dialect through the real OTel SDK exporter; their span ids by dialect."""
    provider = tracer_provider(span_exporter("http", ingest_server, ingest_key))
    tracer = provider.get_tracer("inferops.tests")
    ids = {}
    with tracer.start_as_current_span("invoke_agent support") as root:
        for dialect, attributes in (("otel", OTEL_GENAI), ("openinference", OPENINFERENCE), ("openlit", OPENLIT)):
            with tracer.start_as_current_span(f"guard {dialect}", attributes=attributes) as span:
                time.sleep(0.002)
                ids[dialect] = format(span.get_span_context().span_id, "016x")
        chat = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o"}
        with tracer.start_as_current_span("chat gpt-4o", attributes=chat) as span:
            span.add_event("gen_ai.guardrail.security.finding", {
                "gen_ai.guardrail.verdict.type": "warn", "gen_ai.guardrail.target.type": "output",
                "gen_ai.guardrail.security.policy.id": "toxicity", "gen_ai.guardrail.security.policy.version": "3"})
            ids["event"] = format(span.get_span_context().span_id, "016x")
        ids["trace"] = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return ids


def test_the_ledger_holds_each_dialects_decisions_once_chained_and_sealed(ingest_server, project, ingest_key):
    ids = _send_dialects(ingest_server, ingest_key)
    assert chain_arrived(project.pk) == 4
    assert chain_arrived(project.pk) == 0, "nothing is chained twice"
    checkpoint = decisions.seal(project.pk)
    assert (checkpoint.stream, checkpoint.first_seq, checkpoint.last_seq) == (f"decisions/{project.pk}", 1, 4)
    assert decisions.seal(project.pk) is None
    rows = list(decisions.iter_records(project.pk, 1, 4))
    by_span = {r["span_id"]: r for r in rows}
    otel, oi, lit, event = (by_span[ids[k]] for k in ("otel", "openinference", "openlit", "event"))
    assert {r["trace_id"] for r in rows} == {ids["trace"]}
    assert (otel["policy_id"], otel["policy_version"], otel["rule_id"], otel["phase"], otel["verdict"], otel["action"],
            otel["risk_category"], otel["risk_score"], otel["content_hash"], otel["user_id"], otel["tenant"],
            otel["component_name"], otel["model"], otel["source"]) == (
        "pii", "7", "email", "input", "deny", "block", "privacy", "0.92", "hmac-sha256:ab12", "u-1", "acme",
        "pii-filter", "gpt-4o", "span")
    assert otel["latency_ns"] >= 2 * MS
    assert (oi["policy_id"], oi["policy_version"], oi["verdict"], oi["component_name"], oi["user_id"], oi["tenant"]) == (
        "jailbreak", "2", "allow", "jailbreak-detector", "u-2", "globex")
    assert (lit["policy_id"], lit["phase"], lit["verdict"], lit["action"], lit["risk_score"], lit["reason"],
            lit["component_name"]) == ("injection", "input", "block", "block", "0.81", "instruction override",
                                       "prompt_injection")
    assert (event["source"], event["policy_id"], event["policy_version"], event["phase"], event["verdict"]) == (
        "event", "toxicity", "3", "output", "warn")
    assert all(r["event_time"].endswith("Z") and len(r["event_time"]) == 30 for r in rows)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4] and rows[0]["prev_hash"] == chain.GENESIS
    report = decisions.verify(project.pk)
    assert report.ok and (report.records, report.checkpoints, report.unsealed_from) == (4, 1, None)


def _guard_request(n: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.add(key="service.name").value.string_value = "gateway"
    scope = resource.scope_spans.add()
    now = time.time_ns()
    for i in range(n):
        span = scope.spans.add(trace_id=os.urandom(16), span_id=os.urandom(8), name="run_guardrail pii", kind=1,
                               start_time_unix_nano=now + i * MS, end_time_unix_nano=now + i * MS + 3 * MS)
        for key, value in (("gen_ai.operation.name", "run_guardrail"), ("gen_ai.guardrail.security.policy.id", "pii"),
                           ("gen_ai.guardrail.verdict.type", "deny" if i % 2 else "allow"),
                           ("gen_ai.guardrail.target.type", "input"), ("tenant.id", f"t{i}")):
            span.attributes.add(key=key).value.string_value = value
    return request


def _send(ingest_server, ingest_key, request) -> None:
    reply = post(ingest_server, "/v1/traces", request.SerializeToString(),
                 {"Content-Type": "application/x-protobuf", "x-inferops-key": ingest_key})
    assert reply.status == 200


@pytest.fixture
def sealed(ingest_server, project, ingest_key):
    """Eight decisions chained and sealed in two checkpoints (5 + 3)."""
    _send(ingest_server, ingest_key, _guard_request(5))
    chain_arrived(project.pk)
    decisions.seal(project.pk)
    _send(ingest_server, ingest_key, _guard_request(3))
    chain_arrived(project.pk)
    decisions.seal(project.pk)
    assert decisions.verify(project.pk).ok
    return project.pk


def _mutate(warehouse, sql: str, project_id: int) -> None:
    warehouse.command(f"{sql} SETTINGS mutations_sync = 2", {"p": project_id})


def _break(project_id: int):
    found = decisions.verify(project_id).first_break
    return (found.seq, found.kind) if found else None


def test_an_exporters_retry_is_chained_once(ingest_server, project, ingest_key):
    request = _guard_request(3)
    _send(ingest_server, ingest_key, request)
    assert chain_arrived(project.pk) == 3
    _send(ingest_server, ingest_key, request)         # the same spans again: the export was retried
    assert chain_arrived(project.pk) == 0


def test_a_changed_byte_is_found_at_its_record(warehouse, sealed):
    _mutate(warehouse, "ALTER TABLE decision_ledger UPDATE verdict = 'allow' WHERE project_id = {p:UInt64} AND seq = 2",
            sealed)
    assert _break(sealed) == (2, "changed")
    with pytest.raises(CommandError, match="BROKEN at record 2 \\(changed\\)"):
        call_command("audit", "verify", "--decisions", str(sealed))


def test_a_deleted_record_is_found_as_a_gap(warehouse, sealed):
    _mutate(warehouse, "ALTER TABLE decision_ledger DELETE WHERE project_id = {p:UInt64} AND seq = 6", sealed)
    assert _break(sealed) == (6, "missing")


def test_reordered_records_are_found_where_the_order_breaks(warehouse, sealed):
    copy = "INSERT INTO decision_ledger SELECT * REPLACE (if(seq = 3, 4, 3) AS seq) FROM decision_ledger " \
           "WHERE project_id = {p:UInt64} AND seq IN (3, 4)"
    warehouse.command(copy.replace("INSERT INTO decision_ledger", "CREATE TABLE swapped ENGINE = Memory AS"),
                      {"p": sealed})
    try:
        _mutate(warehouse, "ALTER TABLE decision_ledger DELETE WHERE project_id = {p:UInt64} AND seq IN (3, 4)",
                sealed)
        warehouse.command("INSERT INTO decision_ledger SELECT * FROM swapped")
    finally:
        warehouse.command("DROP TABLE IF EXISTS swapped")
    assert _break(sealed) == (3, "out_of_order")


def test_an_inserted_record_is_found_at_its_place(warehouse, sealed):
    forged = next(decisions.iter_records(sealed, 5, 5)) | {"seq": 5, "verdict": "allow", "decision_id": "f" * 32}
    forged["prev_hash"] = next(decisions.iter_records(sealed, 4, 4))["record_hash"]
    forged["record_hash"] = chain.record_hash(forged)
    warehouse.command("INSERT INTO decision_ledger SELECT * REPLACE (5 AS seq, {v:String} AS verdict, "
                      "{d:String} AS decision_id, {h:String} AS record_hash) FROM decision_ledger "
                      "WHERE project_id = {p:UInt64} AND seq = 5",
                      {"p": sealed, "v": "allow", "d": "f" * 32, "h": forged["record_hash"]})
    assert _break(sealed)[0] == 5


def test_a_forged_checkpoint_is_found_and_a_range_verifies_on_its_own(warehouse, sealed):
    assert decisions.verify(sealed, first_seq=6, last_seq=8).ok
    AuditCheckpoint.objects.filter(stream=f"decisions/{sealed}", number=2).update(root_hash="00" * 32)
    assert _break(sealed) == (6, "checkpoint")
    assert decisions.verify(sealed, first_seq=1, last_seq=5).ok, "the first checkpoint's range is intact"


def test_records_deleted_from_the_start_before_their_time_are_missing(warehouse, sealed):
    _mutate(warehouse, "ALTER TABLE decision_ledger DELETE WHERE project_id = {p:UInt64} AND seq <= 5", sealed)
    assert _break(sealed) == (1, "missing"), "not expired by retention: deleted"


def test_a_crash_between_the_insert_and_the_commit_loses_and_repeats_nothing(ingest_server, project, ingest_key):
    """The records a crashed run inserted are adopted by the next run, not chained again."""
    from apps.audit.models import DecisionHead

    _send(ingest_server, ingest_key, _guard_request(4))
    time.sleep(1.05 - time.time() % 1)
    head = decisions._locked_head(project.pk)
    arrived, until = decisions._arrived(project.pk, head.chained_until, decisions.datetime.now(decisions.UTC))
    orphans = decisions._chained(arrived, head)
    decisions.get_warehouse().insert_frame("decision_ledger", orphans.with_columns(
        decisions.pl.lit(until).cast(decisions.pl.Datetime("ms", "UTC")).alias("chained_until"))
        .select(decisions.LEDGER_COLUMNS))       # ... and the process dies before the head is saved
    assert DecisionHead.objects.get(project_id=project.pk).last_seq == 0
    _send(ingest_server, ingest_key, _guard_request(2))
    assert chain_arrived(project.pk) == 2, "the orphans are adopted, only the new decisions are chained"
    decisions.seal(project.pk)
    report = decisions.verify(project.pk)
    assert report.ok and report.records == 6


def test_decisions_dated_far_in_the_future_do_not_stop_the_ledger(ingest_server, project, ingest_key):
    request = _guard_request(2)
    far = 9_000_000_000 * 1_000_000_000             # the year 2255
    for span in request.resource_spans[0].scope_spans[0].spans:
        span.start_time_unix_nano, span.end_time_unix_nano = far, far + 3 * MS
    _send(ingest_server, ingest_key, request)
    _send(ingest_server, ingest_key, _guard_request(1))
    assert chain_arrived(project.pk) == 3
    assert decisions.seal(project.pk).last_seq == 3 and decisions.verify(project.pk).ok
    assert sorted(r["event_time"][:4] for r in decisions.iter_records(project.pk, 1, 3))[-2:] == ["2255", "2255"]


def test_two_findings_of_one_span_at_one_instant_are_two_decisions(ingest_server, project, ingest_key):
    request = _guard_request(1)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    del span.attributes[:]
    span.attributes.add(key="gen_ai.operation.name").value.string_value = "chat"
    for category in ("privacy", "security"):
        event = span.events.add(time_unix_nano=span.start_time_unix_nano, name="gen_ai.guardrail.security.finding")
        for key, value in (("gen_ai.guardrail.verdict.type", "warn"), ("gen_ai.guardrail.security.policy.id", "dlp"),
                           ("gen_ai.guardrail.security.risk.category", category)):
            event.attributes.add(key=key).value.string_value = value
    _send(ingest_server, ingest_key, request)
    assert chain_arrived(project.pk) == 2
