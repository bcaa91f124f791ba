"""Span rows (warehouse/_spanrows.c, schema 0024) store exactly what ClickHouse's own Protobuf input
stores: the same envelopes go through both paths, under two projects, and every table they feed must
then hold the same rows. The requests cover every AnyValue kind, values ClickHouse prints in its own way
(doubles, JSON escaping), field orders the SDKs do not produce, and the three redaction modes."""

import math
import random
import struct
import time

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from ingest.envelope import envelope, redaction_fields
from tests.ingest.factories import agentic_request, deep_unknown_groups
from warehouse import _spanrows
from warehouse.errors import BadInput
from warehouse.otlp import insert_envelopes, insert_settings

pytestmark = pytest.mark.clickhouse

SPAN_COLUMNS = "* EXCEPT (project_id, ingested_at)"
TABLES = {  # what each table is compared on, beside its project
    "spans": SPAN_COLUMNS,
    "guardrail_decisions": "* EXCEPT (project_id, ingested_at)",
    "trace_summaries": "trace_id, span_count, root_name",
    "ingest_accounting": "signal, requests, accepted, rejected, rejected_requests",
}


def _doubles(rng: random.Random) -> list[float]:
    values = [0.0, -0.0, 1.0, 0.1, 0.2, 0.12, 1e21, 1e20, 1e-7, 1e-6, 1e-5, 5e-324, 2.5e-320, 1.7976931348623157e308,
              12345678901234567.0, 9007199254740993.0, 0.30000000000000004, -3.5, math.inf, -math.inf, math.nan]
    values += [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(300)]
    values += [round(rng.uniform(-1e4, 1e4), rng.randint(0, 9)) for _ in range(300)]
    values += [rng.randint(1, 10**17) * 10.0 ** rng.randint(-25, 25) for _ in range(300)]
    return values


def _text(rng: random.Random) -> str:
    alphabet = 'ab/"\\\n\r\t\b\f\x01\x1f\x7f é€😀\u2028\u2029:{}[],'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def _value(rng: random.Random, kind: str) -> AnyValue:
    value = AnyValue()
    if kind == "string":
        value.string_value = _text(rng)
    elif kind == "int":
        value.int_value = rng.choice([0, -1, 2**63 - 1, -(2**63), rng.randint(-10**12, 10**12)])
    elif kind == "double":
        value.double_value = rng.choice(_doubles(rng)[:40]) if rng.random() < 0.5 else rng.uniform(-1e6, 1e6)
    elif kind == "bool":
        value.bool_value = rng.random() < 0.5
    elif kind == "bytes":
        value.bytes_value = rng.randbytes(rng.randint(0, 7))
    elif kind == "array":
        for leaf in rng.choices(["string", "int", "double", "bool", "bytes", "array", "empty"], k=rng.randint(0, 4)):
            value.array_value.values.append(_value(rng, leaf) if leaf != "array" else _nested())
    elif kind == "kvlist":
        for _ in range(rng.randint(0, 3)):
            value.kvlist_value.values.add(key=_text(rng), value=_value(rng, rng.choice(["string", "int", "double"])))
    return value


def _nested() -> AnyValue:
    """An array inside an array: deeper than the Protobuf path keeps (it renders as '')."""
    value = AnyValue()
    value.array_value.values.add(string_value="deep")
    return value


def _varied_request(rng: random.Random) -> bytes:
    request = ExportTraceServiceRequest()
    kinds = ["string", "int", "double", "bool", "bytes", "array", "kvlist", "empty"]
    for r in range(3):
        resource = request.resource_spans.add()
        resource.resource.attributes.add(key="service.name", value=AnyValue(string_value=f"svc-{r}"))
        resource.resource.attributes.add(key="tenant.id", value=_value(rng, "int"))
        resource.resource.attributes.add(key="gen_ai.prompt", value=AnyValue(string_value="a resource prompt"))
        for s in range(2):
            scope = resource.scope_spans.add()
            scope.scope.name, scope.scope.version = f"scope-{s}", _text(rng)
            for i in range(40):
                span = scope.spans.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(8), name=_text(rng),
                                       kind=rng.randint(0, 5), start_time_unix_nano=time.time_ns() - 10**9 * i,
                                       end_time_unix_nano=time.time_ns(), trace_state=_text(rng))
                if i % 3:
                    span.parent_span_id = rng.randbytes(8)
                span.status.code, span.status.message = rng.randint(0, 2), _text(rng)
                span.attributes.add(key="gen_ai.operation.name", value=AnyValue(string_value="chat"))
                span.attributes.add(key="gen_ai.system", value=AnyValue(string_value="anthropic"))
                span.attributes.add(key="gen_ai.usage.prompt_tokens", value=AnyValue(int_value=rng.randint(0, 999)))
                # content of every length, so that its HMAC crosses SHA-256's 64-byte blocks
                span.attributes.add(key="gen_ai.input.messages",
                                    value=AnyValue(string_value=_text(rng) * rng.randint(0, 30)))
                span.attributes.add(key="gen_ai.guardrail.name", value=AnyValue(string_value="pii"))
                for kind in rng.choices(kinds, k=6):
                    span.attributes.add(key=f"x.{kind}", value=_value(rng, kind))
                for e in range(rng.randint(0, 2)):
                    event = span.events.add(time_unix_nano=time.time_ns(), name=f"event-{e}")
                    event.attributes.add(key="gen_ai.completion", value=AnyValue(string_value=_text(rng)))
                    event.attributes.add(key="x.double", value=_value(rng, "double"))
                for _ in range(rng.randint(0, 2)):
                    span.links.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(rng.choice([8, 3])))
    return request.SerializeToString()


# Values the normalisation reads, in the forms clients send them (and some they should not).
DIALECT_VALUES = {
    "gen_ai.operation.name": ["chat", "", "embeddings"], "gen_ai.provider.name": ["anthropic", "openai", "", "Vertex_AI"],
    "gen_ai.system": ["anthropic", "OpenAI", "az.ai.openai", "watsonx", "AWS"], "llm.provider": ["aws", "", "google"],
    "llm.system": ["anthropic", "xai"], "openinference.span.kind": ["LLM", "tool", "Retriever", "unknown_Kind", ""],
    "llm.request.type": ["chat", "completion", "other"], "traceloop.span.kind": ["workflow", "tool", "Odd"],
    "traceloop.entity.name": ["answer"], "gen_ai.request.model": ["gpt-4o", "", "claude"],
    "gen_ai.response.model": ["gpt-4o-2024", ""], "llm.model_name": ["claude-3-5"],
    # (counts of inf or beyond UInt64 fail the Protobuf path's whole insert: see the test of out-of-range values)
    "gen_ai.usage.input_tokens": ["175", "12abc", "1e2", "-5", "1.5e3", "0x10", " 7", "+3", ""],
    "gen_ai.usage.prompt_tokens": ["100", "3.7"], "llm.usage.prompt_tokens": ["80"], "llm.token_count.prompt": ["500"],
    "gen_ai.usage.output_tokens": ["10", "x"], "gen_ai.usage.completion_tokens": ["20"],
    "gen_ai.usage.cache_read.input_tokens": ["50", "0"], "gen_ai.usage.cache_read_input_tokens": ["16"],
    "gen_ai.usage.cache_creation.input_tokens": ["25"], "gen_ai.usage.cache_write.input_tokens": ["30"],
    "gen_ai.usage.reasoning.output_tokens": ["5"], "llm.token_count.completion_details.reasoning": ["6"],
    # (a TTFT of nan or inf fails the Protobuf path's whole insert; the rows path stores 0: not compared)
    "gen_ai.response.time_to_first_chunk": ["0.35", "1e-3", "-1", "abc", "1e-12"], "gen_ai.server.ttft": ["0.5"],
    "gen_ai.response.finish_reasons": ['["stop","length"]', "stop", '[1]', "[", '["a\\"b"]'],
    "llm.finish_reason": ["length"], "error.type": ["timeout", ""], "exception.type": ["ValueError"],
    "tenant.id": ["acme", ""], "inferops.tenant": ["t2"], "tenant": ["t3"], "inferops.endpoint": ["/a"],
    "http.route": ["/v1/answer"], "url.template": ["/u/{id}"], "rpc.method": ["Generate"], "host.name": ["node-1"],
    "server.address": ["api.openai.com"], "gpu.id": ["3"], "gpu.uuid": ["GPU-1"], "hw.id": ["hw-9"],
    "gen_ai.agent.name": ["planner"], "agent.name": ["old-agent"], "gen_ai.tool.name": ["search"],
    "gen_ai.conversation.id": ["conv-9"], "session.id": ["s-1"], "guard.verdict": ["block"],
    "gen_ai.guardrail.verdict.type": ["ALLOW"], "gen_ai.prompt.0.content": ["hello"], "llm.prompts.0": ["p"],
    "gen_ai.guardrail.security.content.input.hash": ["abc"], "gen_ai.guardrail.security.content.input.value": ["v"],
}
RESOURCE_VALUES = {"service.name": ["svc", ""], "tenant.id": ["r-acme", ""], "inferops.tenant": ["r-t2"],
                   "tenant": ["r-t3"], "inferops.endpoint": ["/r"], "host.name": ["r-host"], "gpu.id": ["r-gpu"],
                   "gpu.uuid": ["r-uuid"], "hw.id": ["r-hw"], "input.value": ["resource content"]}


def _dialect_request(rng: random.Random) -> bytes:
    """Spans whose attributes mix every dialect's names and values, ties between current and deprecated
    names included, so that every branch of the normalisation is taken somewhere."""
    request = ExportTraceServiceRequest()
    for _ in range(4):
        resource = request.resource_spans.add()
        for key in rng.sample(sorted(RESOURCE_VALUES), rng.randint(0, len(RESOURCE_VALUES))):
            resource.resource.attributes.add(key=key, value=AnyValue(string_value=rng.choice(RESOURCE_VALUES[key])))
        scope = resource.scope_spans.add()
        for i in range(60):
            span = scope.spans.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(8), name=f"op-{i % 7}",
                                   kind=rng.choice([0, 1, 2, 3, 3, 4, 5, 9]), start_time_unix_nano=time.time_ns(),
                                   end_time_unix_nano=time.time_ns() + rng.randint(-10**6, 10**9))
            span.status.code = rng.choice([0, 1, 2, 5])
            for key in rng.sample(sorted(DIALECT_VALUES), rng.randint(1, 14)):
                value = rng.choice(DIALECT_VALUES[key])
                attr = span.attributes.add(key=key)
                if value.lstrip("-").isdigit() and rng.random() < 0.5 and int(value) < 2**63:
                    attr.value.int_value = int(value)
                else:
                    attr.value.string_value = value
            if rng.random() < 0.2:
                event = span.events.add(name="gen_ai.guardrail.security.finding", time_unix_nano=time.time_ns())
                event.attributes.add(key="gen_ai.guardrail.verdict.type", value=AnyValue(string_value="deny"))
                event.attributes.add(key="gen_ai.guardrail.security.content.input.value",
                                     value=AnyValue(string_value="secret"))
    return request.SerializeToString()


def _reordered_request() -> bytes:
    """Fields on the wire in an order the SDKs do not use: a scope after its spans, a span's attributes
    split around its events, the resource after its scopes (protobuf concatenation merges messages)."""
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="reordered", start_time_unix_nano=time.time_ns())
    span.attributes.add(key="gen_ai.request.model", value=AnyValue(string_value="m1"))
    late = Span(attributes=[KeyValue(key="gen_ai.response.model", value=AnyValue(string_value="m2"))])
    late.events.add(name="late-event", time_unix_nano=time.time_ns())
    late_attrs = Span(attributes=[KeyValue(key="x.after_events", value=AnyValue(int_value=7))])
    span_bytes = span.SerializeToString() + late.SerializeToString() + late_attrs.SerializeToString()
    spans_field = b"\x12" + _varint(len(span_bytes)) + span_bytes           # ScopeSpans.spans
    scope_message = ScopeSpans(scope={"name": "late-scope", "version": "9"}).SerializeToString()
    scope_spans = spans_field + scope_message
    resource = ResourceSpans(resource={"attributes": [KeyValue(key="service.name",
                                                               value=AnyValue(string_value="reordered"))]})
    resource_spans = b"\x12" + _varint(len(scope_spans)) + scope_spans + resource.SerializeToString()
    return b"\x0a" + _varint(len(resource_spans)) + resource_spans


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _envelopes(project_id: int, bodies: list[bytes], received: int) -> bytes:
    modes = [redaction_fields(0), redaction_fields(1, b"a secret key"), redaction_fields(2)]
    return b"".join(envelope(body, project_id, accepted_items=7, rejected_items=i % 2, redaction=modes[i % 3],
                             received_unix_nano=received) for i, body in enumerate(bodies)) + \
        envelope(b"", project_id, rejected_requests=1, received_unix_nano=received)


def _rows(warehouse, table: str, columns: str, project_id: int) -> list[tuple]:
    frame = warehouse.admin_query(f"SELECT {columns} FROM {table} WHERE project_id = {{p:UInt64}}", {"p": project_id})
    return sorted(frame.rows(), key=repr)


def test_span_rows_store_exactly_what_the_protobuf_input_stores(warehouse):
    rng = random.Random(20261130)
    bodies = [_varied_request(rng) for _ in range(3)] + [_reordered_request()] + \
        [agentic_request(64).SerializeToString() for _ in range(3)] + [_dialect_request(rng) for _ in range(6)]
    by_protobuf, by_rows = rng.randrange(10**9, 2 * 10**9), rng.randrange(2 * 10**9, 3 * 10**9)
    # The Protobuf input, as before schema 0024; then the default path, which takes the rows.
    received = time.time_ns()  # one minute for both: accounting rows are per minute
    warehouse.insert_formatted("INSERT INTO otlp_spans_in", "Protobuf", _envelopes(by_protobuf, bodies, received),
                               insert_settings("traces"))
    insert_envelopes(warehouse, "traces", [_envelopes(by_rows, bodies, received)])
    spans = _rows(warehouse, "spans", SPAN_COLUMNS, by_rows)
    assert len(spans) == 3 * 240 + 1 + 3 * 64 + 6 * 240
    for table, columns in TABLES.items():
        assert _rows(warehouse, table, columns, by_rows) == _rows(warehouse, table, columns, by_protobuf), table


def _many_keys_request(count: int) -> bytes:
    """A span carrying ``count`` distinct attribute keys: more than the walk caches per batch."""
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(
        trace_id=b"\x03" * 16, span_id=b"\x04" * 8, name="many-keys", start_time_unix_nano=time.time_ns())
    for i in range(count):  # half of them a family that differs mid-way (content, some of them)
        key = f"custom.key.{i:05d}" if i % 2 else f"llm.input_messages.{i}.message.{('content', 'role')[i % 4 // 2]}"
        span.attributes.add(key=key, value=AnyValue(int_value=i))
    return request.SerializeToString()


def test_keys_past_the_walks_cache_are_normalised_the_same(warehouse):
    """The walk caches what each distinct key decides (content, current name, lookups, dialect) for up to
    768 keys a batch; past that it decides each time - with the same rows."""
    rng = random.Random(20261201)
    bodies = [_many_keys_request(1000)] + [_dialect_request(rng) for _ in range(3)] + [_varied_request(rng)]
    by_protobuf, by_rows = rng.randrange(10**9, 2 * 10**9), rng.randrange(2 * 10**9, 3 * 10**9)
    received = time.time_ns()
    warehouse.insert_formatted("INSERT INTO otlp_spans_in", "Protobuf", _envelopes(by_protobuf, bodies, received),
                               insert_settings("traces"))
    insert_envelopes(warehouse, "traces", [_envelopes(by_rows, bodies, received)])
    assert len(_rows(warehouse, "spans", SPAN_COLUMNS, by_rows)) == 1 + 3 * 240 + 240
    for table, columns in TABLES.items():
        assert _rows(warehouse, table, columns, by_rows) == _rows(warehouse, table, columns, by_protobuf), table


def test_doubles_are_printed_as_clickhouse_prints_them(warehouse):
    values = _doubles(random.Random(7))
    frame = warehouse.admin_query("SELECT toString(x) AS s FROM (SELECT arrayJoin({v:Array(Float64)}) AS x)",
                                  {"v": values})
    # the query keeps the array's order (one block, no parallelism over one arrayJoin)
    assert [_spanrows.format_double(v) for v in values] == frame["s"].to_list()


@pytest.mark.parametrize("payload", [
    b"\x05abc",                                        # an envelope longer than its bytes
    b"\x03\x0a\x05a",                                  # a field longer than its envelope
    b"\x02\x08\x80",                                   # a varint cut short
    b"\x04\x0a\x02\x12\x05",                           # scope_spans longer than its resource_spans
    b"\x02\x00\x00",                                   # field number 0
])
def test_malformed_envelopes_are_refused_whole(payload):
    with pytest.raises(ValueError, match="malformed OTLP trace envelope"):
        _spanrows.rows(payload)


def test_a_batch_the_walk_refuses_goes_to_the_protobuf_input(warehouse):
    # Unknown groups nested deeper than the walk follows (64): valid protobuf to upb, malformed to the
    # walk, refused by ClickHouse's Protobuf input too (the committer then drops unknown fields and
    # retries: tests/ingest/test_ingest_log.py).
    span = Span(trace_id=b"\x03" * 16, span_id=b"\x04" * 8, name="with groups").SerializeToString() + deep_unknown_groups()
    request = _wrap(_wrap(_wrap(span, 2), 2), 1)
    assert ExportTraceServiceRequest.FromString(request).resource_spans[0].scope_spans[0].spans[0].name == "with groups"
    payload = [envelope(request, 1, accepted_items=1)]
    with pytest.raises(ValueError):
        _spanrows.rows(payload)
    with pytest.raises(BadInput, match="Protobuf"):
        insert_envelopes(warehouse, "traces", payload)


def test_a_known_field_of_another_wire_type_is_an_unknown_field_as_upb_reads_it(warehouse):
    project_id = random.randrange(3 * 10**9, 4 * 10**9)
    # name (field 5) as a varint, kind (field 6) as bytes: upb keeps them as unknown fields
    span = Span(trace_id=b"\x05" * 16, span_id=b"\x06" * 8, start_time_unix_nano=time.time_ns()).SerializeToString() + \
        b"\x28\x07" + b"\x32\x01x"
    parsed = Span.FromString(span)
    assert (parsed.name, parsed.kind) == ("", 0)
    insert_envelopes(warehouse, "traces", [envelope(_wrap(_wrap(_wrap(span, 2), 2), 1), project_id, accepted_items=1)])
    assert _rows(warehouse, "spans", "name, kind", project_id) == [("", "unspecified")]


def _wrap(message: bytes, field: int) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(message)) + message


def test_rows_are_written_into_reused_buffers():
    body = envelope(agentic_request(3).SerializeToString(), 1, accepted_items=3)
    first = b"".join(_spanrows.rows(body))
    again = b"".join(_spanrows.rows([body[: len(body)]]))
    assert first == again and len(first) > len(body) // 2
    _spanrows.release()
    assert b"".join(_spanrows.rows(body)) == first


def test_counts_and_ttft_out_of_range_are_stored_not_refused(warehouse):
    """The Protobuf path's views fail a whole insert on a token count or TTFT of inf, nan or beyond
    UInt64; span rows store 0 or the maximum instead."""
    project_id = random.randrange(4 * 10**9, 5 * 10**9)
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for value in ["inf", "nan", "1e30", "-inf", "18446744073709551615"]:
        span = spans.add(trace_id=random.randbytes(16), span_id=random.randbytes(8), name=value,
                         start_time_unix_nano=time.time_ns())
        span.attributes.add(key="gen_ai.usage.input_tokens", value=AnyValue(string_value=value))
        span.attributes.add(key="gen_ai.response.time_to_first_chunk", value=AnyValue(string_value=value))
    insert_envelopes(warehouse, "traces", [envelope(request.SerializeToString(), project_id, accepted_items=5)])
    stored = dict((name, (tokens, ttft)) for name, tokens, ttft in
                  _rows(warehouse, "spans", "name, input_tokens, ttft_ns", project_id))
    top = 18_446_744_073_709_549_568  # the largest Float64 below 2^64
    assert stored == {"inf": (0, 0), "nan": (0, 0), "-inf": (0, 0), "1e30": (top, top),
                      "18446744073709551615": (top, top)}


def test_the_walk_survives_mutated_envelopes():
    """Whatever the bytes, the walk returns rows or refuses them whole; it never reads out of bounds (a
    crash here would end the test run)."""
    rng = random.Random(5)
    base = bytearray(_envelopes(1, [_reordered_request(), agentic_request(3).SerializeToString()], 1))
    outcomes = set()
    for _ in range(3000):
        body = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(body))
            if rng.random() < 0.5:
                body[at] = rng.randrange(256)
            else:
                del body[at:at + rng.randint(1, 8)]
        try:
            outcomes.add(_block_shape(_spanrows.rows(bytes(body))))
        except ValueError:
            outcomes.add("refused")
    assert "refused" in outcomes
    assert any(shape != "refused" and shape[0] == 54 and shape[1] >= 1 for shape in outcomes)


def _block_shape(parts: list) -> tuple[int, int]:
    """A Native block's column and row counts (the two varints that open it)."""
    head, counts, at = bytes(parts[0]), [], 0
    for _ in range(2):
        value = shift = 0
        while True:
            byte = head[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        counts.append(value)
    return counts[0], counts[1]


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _member(rng: random.Random) -> bytes:
    """One AnyValue member, raw: a message may hold several (and a value several messages)."""
    kind = rng.choice(["string", "int", "bool", "double", "array", "kvlist"])
    if kind == "string":
        return _field(1, rng.choice([b"", b"alpha", b"beta"]))
    if kind == "int":
        return b"\x18" + _varint(rng.randrange(10**6))
    if kind == "bool":
        return b"\x10" + _varint(rng.randrange(2))
    if kind == "double":
        return b"\x21" + struct.pack("<d", rng.choice([0.5, 2.0, 1e-7, 3.25]))
    elements = [_field(1, rng.choice([b"x", b"y"])) for _ in range(rng.randint(0, 2))]
    if kind == "array":
        return _field(5, b"".join(_field(1, element) for element in elements))
    pairs = [_field(1, b"k" + bytes([48 + i])) + _field(2, element) for i, element in enumerate(elements)]
    return _field(6, b"".join(_field(1, pair) for pair in pairs))


def _as_upb_renders(value: AnyValue, nested: bool = False) -> str:
    """How a value that upb has merged renders (simple values only: no JSON escapes needed)."""
    kind = value.WhichOneof("value")
    if kind in ("array_value", "kvlist_value") and nested:
        return ""
    if kind == "array_value":
        items = [f'"{_as_upb_renders(v, True)}"' for v in value.array_value.values]
        return f"[{','.join(items)}]" if items else ""
    if kind == "kvlist_value":
        items = [f'"{kv.key}":"{_as_upb_renders(kv.value, True)}"' for kv in value.kvlist_value.values]
        return "{" + ",".join(items) + "}" if items else ""
    return {"string_value": lambda: value.string_value, "int_value": lambda: str(value.int_value),
            "bool_value": lambda: "true" if value.bool_value else "false",
            "double_value": lambda: _spanrows.format_double(value.double_value)}.get(kind, lambda: "")()


def test_a_value_sent_in_pieces_is_merged_as_protobuf_merges_it(warehouse):
    """Several members in one AnyValue, or a KeyValue's value split over several messages, are not what
    SDKs send, but they are valid protobuf: the last member set wins and lists of one run merge, as upb
    reads them."""
    rng = random.Random(3)
    project_id = random.randrange(5 * 10**9, 6 * 10**9)
    span = Span(trace_id=b"\x07" * 16, span_id=b"\x08" * 8, name="pieces", start_time_unix_nano=time.time_ns())
    expected = {}
    raw_attributes = b""
    for i in range(300):
        key = f"x.piece{i}".encode()
        occurrences = [b"".join(_member(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
        kv = _field(1, key) + b"".join(_field(2, occurrence) for occurrence in occurrences)
        expected[key.decode()] = _as_upb_renders(KeyValue.FromString(kv).value)
        raw_attributes += _field(9, kv)
    span_bytes = span.SerializeToString() + raw_attributes
    request = _field(1, _field(2, _field(2, span_bytes)))
    insert_envelopes(warehouse, "traces", [envelope(request, project_id, accepted_items=1)])
    [(stored,)] = _rows(warehouse, "spans", "span_attributes", project_id)
    assert {k: v for k, v in stored.items() if k.startswith("x.piece")} == expected
