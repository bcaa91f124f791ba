"""The one-pass check of trace requests (warehouse/_spanrows.c ``valid_spans``) lets ingest skip upb's
decoding for requests that are valid whole. It may send a valid request the slow way, but it must never
accept one that upb's decoding and ingest's validation would refuse in any part."""

import random

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from ingest.decode import decode
from ingest.validate import validate_traces
from tests.ingest.factories import agentic_request, deep_unknown_groups
from warehouse import _spanrows


def _slow_verdict(body: bytes) -> int | None:
    """Spans accepted by upb and the Python validation when they accept the request whole, else None."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except Exception:  # noqa: BLE001 - any decoding failure is a refusal
        return None
    accepted, rejected, _ = validate_traces(request)
    return None if rejected else accepted


def test_valid_requests_are_counted_in_one_pass():
    for spans in (1, 7, 512):
        body = agentic_request(spans).SerializeToString()
        assert _spanrows.valid_spans(body) == spans == decode("traces", body, "protobuf").accepted
    assert _spanrows.valid_spans(b"") == 0  # an empty request is valid and holds nothing


def test_mutated_requests_are_never_accepted_where_the_slow_path_refuses():
    rng = random.Random(11)
    base = agentic_request(6).SerializeToString()
    fast_accepts = slow_refusals = 0
    for _ in range(4000):
        body = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(body))
            match rng.randrange(4):
                case 0:
                    body[at] ^= 1 << rng.randrange(8)
                case 1:
                    body[at] = rng.choice([0x00, 0x80, 0xFF, 0xC0, 0xED, 0xF4, 0x0A, 0x12])
                case 2:
                    del body[at:at + rng.randint(1, 4)]
                case 3:
                    body[at:at] = rng.randbytes(rng.randint(1, 3))
        fast, slow = _spanrows.valid_spans(bytes(body)), _slow_verdict(bytes(body))
        if fast is not None:
            fast_accepts += 1
            assert fast == slow, bytes(body).hex()
        slow_refusals += slow is None
    assert fast_accepts > 100 and slow_refusals > 1000  # both verdicts were exercised


def _with_bytes(request: ExportTraceServiceRequest, marker: str, raw: bytes) -> bytes:
    body = request.SerializeToString()
    assert body.count(marker.encode()) == 1
    return body.replace(marker.encode(), raw)


@pytest.mark.parametrize("where", ["schema_url", "link_trace_state", "entity_type", "scope_attribute", "nested_value"])
def test_invalid_utf8_anywhere_goes_the_slow_way(where):
    request = agentic_request(2)
    resource_spans = request.resource_spans[0]
    span = resource_spans.scope_spans[0].spans[0]
    if where == "schema_url":
        resource_spans.schema_url = "MARK"
    elif where == "link_trace_state":
        span.links.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, trace_state="MARK")
    elif where == "entity_type":
        resource_spans.resource.entity_refs.add(type="MARK")
    elif where == "scope_attribute":
        resource_spans.scope_spans[0].scope.attributes.add(key="k", value=AnyValue(string_value="MARK"))
    else:
        span.attributes.add(key="k").value.array_value.values.add().kvlist_value.values.add(
            key="k2", value=AnyValue(string_value="MARK"))
    assert _spanrows.valid_spans(request.SerializeToString()) == 2
    body = _with_bytes(request, "MARK", b"\xc0\xafzz")  # an overlong '/': invalid UTF-8
    assert _slow_verdict(body) is None and _spanrows.valid_spans(body) is None


@pytest.mark.parametrize("change", ["zero_trace", "short_span", "long_parent", "no_trace"])
def test_a_span_the_validation_rejects_goes_the_slow_way(change):
    request = agentic_request(3)
    span = request.resource_spans[0].scope_spans[0].spans[1]
    if change == "zero_trace":
        span.trace_id = bytes(16)
    elif change == "short_span":
        span.span_id = b"\x01" * 7
    elif change == "long_parent":
        span.parent_span_id = b"\x01" * 9
    else:
        span.ClearField("trace_id")
    body = request.SerializeToString()
    assert _spanrows.valid_spans(body) is None
    decoded = decode("traces", body, "protobuf")
    assert (decoded.accepted, decoded.rejected) == (2, 1) and "span[1]" in decoded.message


def test_unknown_fields_pass_and_what_only_upb_can_judge_goes_the_slow_way():
    body = agentic_request(2).SerializeToString()
    assert _spanrows.valid_spans(body + b"\xa8\x1f\x01" + b"\xb2\x1f\x02hi") == 2  # unknown varint and bytes
    assert _spanrows.valid_spans(body + deep_unknown_groups(1)) is None          # groups: upb decides
    nested = AnyValue(string_value="x")
    for _ in range(40):                                                            # nesting past 32
        outer = AnyValue()
        outer.array_value.values.append(nested)
        nested = outer
    request = agentic_request(1)
    request.resource_spans[0].scope_spans[0].spans[0].attributes.add(key="deep", value=nested)
    deep = request.SerializeToString()
    assert _spanrows.valid_spans(deep) is None and _slow_verdict(deep) == 1


@pytest.mark.parametrize("raw", [b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xf4\x8f\xbf\xbf", b"\xef\xbf\xbf",
                                 b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
                                 b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\x80",
                                 b"\xe2\x82", b"\xf0\x9f\x98", b"abc\xc3", b"\xc3\x28", b"\xe2\x28\xac", b"12345678\xe2\x82\xac"])
def test_utf8_is_judged_as_strictly_as_upb(raw):
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8).SerializeToString() + b"\x2a" + bytes([len(raw)]) + raw
    body = _wrap(1, _wrap(2, _wrap(2, span)))  # request.resource_spans.scope_spans.spans
    try:
        raw.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert (_spanrows.valid_spans(body) == 1) == valid == (_slow_verdict(body) == 1)


def _wrap(field: int, message: bytes) -> bytes:
    assert len(message) < 128
    return bytes([field << 3 | 2, len(message)]) + message


def test_tags_and_lengths_longer_than_upb_reads_go_the_slow_way():
    """upb refuses a tag or a length encoded in more than five bytes as corrupt; so must the check."""
    head = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8).SerializeToString()
    for tail, five_bytes in [(b"\xb0\x80\x80\x80\x80\x00\x01", False), (b"\xb0\x80\x80\x80\x00\x01", True),
                             (b"\x2a\x80\x80\x80\x80\x80\x00", False), (b"\x2a\x80\x80\x80\x80\x00", True)]:
        span = head + tail  # kind (field 6) with a padded tag; name (field 5) with a padded empty length
        body = bytes([0x0A, len(span) + 4, 0x12, len(span) + 2, 0x12, len(span)]) + span
        assert (_spanrows.valid_spans(body) == 1) == five_bytes == (_slow_verdict(body) == 1)
