"""The critical path and the per-step breakdown on literal spans (pure compute)."""

import pytest

from apps.telemetry.compute import GAPS, breakdown, critical_path, span_class


def span(span_id: str, parent: str, start: int, duration: int, cls: str = "other", tokens: int = 0) -> dict:
    return {"span_id": span_id, "parent_id": parent, "start_ns": start, "duration_ns": duration, "span_class": cls,
            "input_tokens": tokens, "output_tokens": 0}


def path(spans):
    return [(s.span_id, s.start_ns, s.end_ns) for s in critical_path(spans)]


def test_sequential_children_are_all_on_the_path_with_the_gaps_given_to_the_parent():
    spans = [span("root", "", 0, 100), span("a", "root", 10, 30), span("b", "root", 50, 40)]
    assert path(spans) == [("root", 0, 10), ("a", 10, 40), ("root", 40, 50), ("b", 50, 90), ("root", 90, 100)]


def test_of_parallel_children_only_the_one_that_finished_last_is_on_the_path():
    spans = [span("root", "", 0, 100), span("fast", "root", 10, 20), span("slow", "root", 10, 80)]
    assert path(spans) == [("root", 0, 10), ("slow", 10, 90), ("root", 90, 100)]


def test_a_child_running_past_its_parent_is_clipped_to_the_parent():
    spans = [span("root", "", 0, 50), span("late", "root", 40, 100)]
    assert path(spans) == [("root", 0, 40), ("late", 40, 50)]


def test_the_path_recurses_into_grandchildren_and_covers_the_root_exactly_once():
    spans = [span("root", "", 0, 100), span("agent", "root", 5, 90), span("llm", "agent", 10, 50),
             span("tool", "agent", 60, 30)]
    segments = critical_path(spans)
    assert sum(s.end_ns - s.start_ns for s in segments) == 100
    assert [s.span_id for s in segments] == ["root", "agent", "llm", "tool", "agent", "root"]


def test_a_ten_thousand_deep_chain_does_not_exhaust_the_stack():
    spans = [span("0", "", 0, 20_000)] + [span(str(i), str(i - 1), i, 20_000 - 2 * i) for i in range(1, 10_000)]
    assert len({s.span_id for s in critical_path(spans)}) == 10_000


def test_breakdown_shares_add_up_and_parent_time_counts_as_gaps():
    spans = [span("root", "", 0, 100, "http"), span("llm", "root", 10, 60, "llm", tokens=500),
             span("tool", "root", 70, 20, "tool")]
    rows = {r["step"]: r for r in breakdown(spans, critical_path(spans))}
    assert rows["llm"]["critical_path_ns"] == 60 and rows["llm"]["tokens"] == 500
    assert rows["tool"]["critical_path_share"] == pytest.approx(0.2)
    assert rows[GAPS]["critical_path_ns"] == 20
    assert sum(r["critical_path_share"] for r in rows.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("operation", "kind", "expected"), [
    ("chat", "client", "llm"), ("invoke_agent", "internal", "agent"), ("execute_tool", "internal", "tool"),
    ("retrieval", "client", "retrieval"), ("embeddings", "client", "embedding"),
    ("run_guardrail", "internal", "guardrail"), ("", "server", "http"), ("task", "client", "other"),
])
def test_span_classes(operation, kind, expected):
    assert span_class(operation, kind) == expected


def test_children_are_clipped_at_both_ends_and_grandchildren_to_the_clipped_child():
    skewed = [span("root", "", 0, 100), span("early", "root", -20, 70)]
    assert path(skewed) == [("early", 0, 50), ("root", 50, 100)]
    overflow = [span("root", "", 0, 50), span("child", "root", 40, 100), span("grandchild", "child", 45, 85)]
    assert path(overflow) == [("root", 0, 40), ("child", 40, 45), ("grandchild", 45, 50)]
