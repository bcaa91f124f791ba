"""URL parameters of dashboards and trace search: what is accepted, and the message for what is not."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict

from apps.telemetry.query import (
    AttributeFilter,
    QueryError,
    parse_attribute_filter,
    parse_trace_search,
    parse_window,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("tenant.id = acme", AttributeFilter("tenant.id", "eq", "acme")),
    ("tenant.id != acme", AttributeFilter("tenant.id", "ne", "acme")),
    ("gen_ai.request.model contains llama", AttributeFilter("gen_ai.request.model", "contains", "llama")),
    ("url = https://x/?a=b", AttributeFilter("url", "eq", "https://x/?a=b")),
    ("note = it contains = signs", AttributeFilter("note", "eq", "it contains = signs")),
])
def test_attribute_filters(text, expected):
    assert parse_attribute_filter(text) == expected


@pytest.mark.parametrize("text", ["no operator here", "= value", "k" * 300 + " = v"])
def test_malformed_attribute_filters_say_what_is_expected(text):
    with pytest.raises(QueryError, match="key = value"):
        parse_attribute_filter(text)


def test_relative_and_absolute_windows():
    assert parse_window({"range": "6h"}, NOW).start == NOW - timedelta(hours=6)
    window = parse_window({"start": "2026-04-30T00:00:00Z", "end": "2026-04-30T06:00:00Z"}, NOW)
    assert (window.start.hour, window.end.hour, window.range_name) == (0, 6, "")
    assert window.step_s() == 300


@pytest.mark.parametrize(("params", "message"), [
    ({"range": "2y"}, "range must be one of"),
    ({"start": "yesterday"}, "ISO 8601"),
    ({"start": "2026-04-30T00:00:00"}, "timezone"),
    ({"start": "2026-04-30T06:00:00Z", "end": "2026-04-30T00:00:00Z"}, "before end"),
    ({"start": "2020-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "at most 400 days"),
])
def test_bad_windows(params, message):
    with pytest.raises(QueryError, match=message):
        parse_window(params, NOW)


@pytest.mark.parametrize(("query", "message"), [
    ("sort=cost", "sort must be one of"), ("min_duration_ms=fast", "must be a number"),
    ("min_tokens=1.5", "whole number"), ("limit=5000", "limit must be one of"), ("after=zzz", "cursor"),
    ("status=maybe", "status must be one of"), ("&".join(f"attr=k{i}%20%3D%20v" for i in range(11)), "at most 10"),
])
def test_bad_trace_searches(query, message):
    with pytest.raises(QueryError, match=message):
        parse_trace_search(QueryDict(query), NOW)
