"""Bringing the ledger in line (pure): postings equal to what the window should hold stay, changed
ones are reversed and posted anew, and the aftermath of an interrupted or repeated insert (a posting
counted twice, or reversed twice) is corrected to exactly one posting in force."""

from datetime import UTC, datetime

import polars as pl

from apps.cost.ledger import reconcile
from apps.cost.pricing import money

AT = datetime(2026, 11, 2, 10, tzinfo=UTC)


def lines(*rows: dict) -> pl.DataFrame:
    base = {"timestamp": AT, "kind": "llm", "method": "catalogue", "model": "gpt-4o-mini", "requests": 1,
            "trace_hex": "ab" * 16, "span_hex": "cd" * 8}
    return pl.DataFrame([{**base, **row} for row in rows])


def apply(live: pl.DataFrame, rows: pl.DataFrame) -> dict[int, int]:
    """line_key → net postings in force after the insert."""
    net: dict[int, int] = {}
    for key, sign in live.select("line_key", "net").iter_rows():
        net[key] = net.get(key, 0) + sign
    for key, sign in rows.select("line_key", "sign").iter_rows():
        net[key] = net.get(key, 0) + sign
    return net


def test_unchanged_lines_stay_changed_ones_are_replaced_and_new_ones_posted():
    desired = lines({"line_key": 1, "total_cost": money("0.1")}, {"line_key": 2, "total_cost": money("0.2")},
                    {"line_key": 3, "total_cost": money("0.3")})
    live = lines({"line_key": 1, "posting": 10, "net": 1, "total_cost": money("0.1")},
                 {"line_key": 2, "posting": 10, "net": 1, "total_cost": money("0.25")})
    changes = reconcile(desired, live, project_id=7, posting=20, version=2)
    assert (changes.posted, changes.reversed, changes.unchanged) == (2, 1, 1)
    reversal = changes.rows.filter(pl.col("sign") == -1).row(0, named=True)
    assert (reversal["line_key"], reversal["posting"], reversal["total_cost"]) == (2, 10, money("0.25"))
    assert sorted(changes.rows.filter(pl.col("sign") == 1)["line_key"].to_list()) == [2, 3]
    assert apply(live, changes.rows) == {1: 1, 2: 1, 3: 1}


def test_a_posting_counted_twice_is_brought_back_to_one():
    desired = lines({"line_key": 1, "total_cost": money("0.1")})
    live = lines({"line_key": 1, "posting": 10, "net": 2, "total_cost": money("0.1")})
    changes = reconcile(desired, live, project_id=7, posting=20, version=2)
    assert (changes.posted, changes.reversed, changes.unchanged) == (0, 1, 1)
    assert apply(live, changes.rows) == {1: 1}


def test_a_posting_reversed_twice_is_restored_and_duplicate_spans_count_once():
    desired = lines({"line_key": 1, "total_cost": money("0.1")}, {"line_key": 1, "total_cost": money("0.1")})
    live = lines({"line_key": 1, "posting": 10, "net": -1, "total_cost": money("0.1")})
    changes = reconcile(desired.unique(subset="line_key"), live, project_id=7, posting=20, version=2)
    assert apply(live, changes.rows) == {1: 1}
    assert set(changes.rows["posting"].to_list()) == {10}, "the over-reversed posting is restored, not reposted"


def test_lines_no_longer_wanted_are_reversed():
    live = lines({"line_key": 5, "posting": 10, "net": 1, "kind": "gpu_idle", "total_cost": money("0.06")})
    changes = reconcile(lines({"line_key": 6, "total_cost": money(0)}), live, project_id=7, posting=20, version=2)
    assert apply(live, changes.rows) == {5: 0, 6: 1}
