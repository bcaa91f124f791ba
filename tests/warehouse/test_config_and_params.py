"""CLICKHOUSE_URL parsing and the text form of bound parameters."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from warehouse.config import parse_url
from warehouse.params import to_text


@pytest.mark.parametrize(("url", "expected"), [
    ("chdb:///var/lib/inferops/ch", {"engine": "chdb", "path": "/var/lib/inferops/ch"}),
    ("clickhouse://u:p%40ss@ch.internal:9440/analytics?http_port=8443&secure=1",
     {"engine": "server", "host": "ch.internal", "port": 9440, "http_port": 8443, "user": "u", "password": "p@ss",
      "database": "analytics", "secure": True}),
    ("clickhouse://ch", {"engine": "server", "host": "ch", "port": 9000, "http_port": 8123, "user": "default",
                         "database": "default", "secure": False}),
])
def test_urls(url, expected):
    config = parse_url(url)
    assert {key: getattr(config, key) for key in expected} == expected


@pytest.mark.parametrize("url", ["postgres://x", "chdb://", "mysql://a/b", ""])
def test_bad_urls_are_refused(url):
    with pytest.raises(ValueError, match="CLICKHOUSE_URL"):
        parse_url(url)


def test_password_is_not_in_repr():
    assert "s3cret" not in repr(parse_url("clickhouse://u:s3cret@h:9000/d"))


@pytest.mark.parametrize(("value", "text"), [
    (42, "42"),
    (True, "1"),
    ("it's", "it's"),
    (["a", "b'c", "d\\e"], "['a','b\\'c','d\\\\e']"),
    ([1, 2], "[1,2]"),
    (datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "2026-01-02 03:04:05.678901"),
    (datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))), "2026-01-02 03:04:05.000000"),
    (date(2026, 1, 2), "2026-01-02"),
])
def test_parameter_text(value, text):
    assert to_text(value) == text


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        to_text(datetime(2026, 1, 1))
