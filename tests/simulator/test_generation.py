"""The simulator's pure parts: determinism, span shapes per dialect, incidents, load, metrics data."""

import random
from datetime import UTC, datetime

import pytest

from apps.simulator import dialects
from apps.simulator.durations import parse_duration
from apps.simulator.fleet import build_fleet
from apps.simulator.incidents import KINDS, IncidentSchedule, backfill_schedule
from apps.simulator.metrics import FleetMetrics, merge_metrics
from apps.simulator.serving import load_shape, replica_states
from apps.simulator.traffic import TrafficGenerator

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC).timestamp()   # a Tuesday afternoon


def traces(seed: int, legacy_share: float = 0.25, schedule: IncidentSchedule | None = None, minutes: int = 10):
    generator = TrafficGenerator(build_fleet(), schedule or IncidentSchedule(), seed, legacy_share, 1)
    return [trace for m in range(minutes) for trace in generator.traces(T0 + 60 * m, T0 + 60 * (m + 1), 40.0)]


def fingerprint(trace_list) -> list:
    return [(t.service, t.tenant, t.dialect, [(s.name, s.start, s.end, s.parent, sorted(s.attributes.items(), key=str),
                                               s.error) for s in t.spans]) for t in trace_list]


def test_a_seed_gives_the_same_traffic_and_another_seed_does_not():
    assert fingerprint(traces(7)) == fingerprint(traces(7))
    assert fingerprint(traces(7)) != fingerprint(traces(8))


def test_slices_do_not_depend_on_what_was_generated_before():
    generator = TrafficGenerator(build_fleet(), IncidentSchedule(), 3, 0.25, 1)
    generator.traces(T0, T0 + 60, 40.0)
    later = generator.traces(T0 + 60, T0 + 120, 40.0)
    fresh = TrafficGenerator(build_fleet(), IncidentSchedule(), 3, 0.25, 1).traces(T0 + 60, T0 + 120, 40.0)
    assert fingerprint(later) == fingerprint(fresh)


def test_agentic_traces_use_every_genai_span_kind_in_the_current_dialect():
    names = {span.name.split(" ")[0] for trace in traces(1, legacy_share=0.0) for span in trace.spans}
    assert {"invoke_agent", "chat", "execute_tool", "embeddings", "retrieval", "run_guardrail", "POST"} <= names


def test_every_trace_is_one_tree_under_an_http_root():
    for trace in traces(2):
        roots = [span for span in trace.spans if span.parent == -1]
        assert len(roots) == 1 and roots[0].attributes["http.route"].startswith("/v1/")
        assert all(trace.spans[span.parent].start <= span.start for span in trace.spans if span.parent >= 0)
        assert all(span.end >= span.start for span in trace.spans)


@pytest.mark.parametrize("dialect, marker", [
    (dialects.CURRENT, "gen_ai.provider.name"),
    (dialects.DEPRECATED, "gen_ai.system"),
    (dialects.OPENINFERENCE, "llm.token_count.prompt"),
    (dialects.OPENLLMETRY, "llm.usage.total_tokens"),
])
def test_each_dialect_writes_its_own_attribute_names(dialect, marker):
    call = dialects.LlmCall("chat", "anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 2000, 100,
                            cache_read=1500, cache_write=0, ttft_s=0.4)
    _, attributes = dialects.llm(dialect, call)
    assert marker in attributes


@pytest.mark.parametrize("dialect, key, value", [
    (dialects.CURRENT, "gen_ai.usage.input_tokens", 2000),             # the convention's total
    (dialects.DEPRECATED, "gen_ai.usage.prompt_tokens", 500),           # Anthropic's own, without cache
    (dialects.OPENLLMETRY, "gen_ai.usage.prompt_tokens", 500),
    (dialects.OPENINFERENCE, "llm.token_count.prompt", 2000),
])
def test_anthropic_input_tokens_follow_each_dialects_semantics(dialect, key, value):
    call = dialects.LlmCall("chat", "anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 2000, 100,
                            cache_read=1500)
    assert dialects.llm(dialect, call)[1][key] == value


def test_the_legacy_share_is_honoured():
    mix = traces(4, legacy_share=0.4, minutes=20)
    share = sum(t.dialect != dialects.CURRENT for t in mix) / len(mix)
    assert 0.3 < share < 0.5
    assert {t.dialect for t in mix} == {dialects.CURRENT, *dialects.LEGACY}


def test_a_backfill_schedule_has_every_kind_once_without_overlaps():
    start = T0 - 7 * 86400
    incidents = backfill_schedule(start, T0, random.Random(1)).incidents
    assert sorted(i.kind for i in incidents) == sorted(KINDS)
    assert all(start <= i.start < i.end <= T0 for i in incidents)
    assert all(a.end <= b.start for a, b in zip(incidents, incidents[1:], strict=False))


def test_prompt_and_policy_versions_move_with_their_incidents():
    schedule = IncidentSchedule()
    bump = schedule.add("prompt_bump", T0, 600)
    surge = schedule.add("guardrail_surge", T0 + 1200, 600)
    before, during, after = (schedule.effects(t) for t in (T0 - 1, T0 + 1, T0 + 2000))
    assert "support-answer" not in before.prompt_version
    assert during.prompt_version["support-answer"] == bump.target["version_after"]
    assert during.prompt_factor["support-answer"] == 2.0
    assert after.prompt_version["support-answer"] == bump.target["version_restored"]
    assert after.policy_version["prompt-injection"] == surge.target["version_after"]
    assert schedule.effects(T0 + 1300).policy_block["prompt-injection"] > 0.1


def test_a_throttled_node_slows_only_its_own_calls():
    schedule = IncidentSchedule()
    schedule.add("gpu_throttle", T0, 3600)
    states = replica_states(build_fleet(), T0 + 60, 1, schedule.effects(T0 + 60))
    calm = replica_states(build_fleet(), T0 + 60, 1, IncidentSchedule().effects(T0))
    throttled = [pod for pod in states if "gpu-h100-01" in pod]
    assert throttled and all(states[p].tpot_s > 2 * calm[p].tpot_s for p in throttled)
    assert all(states[p].tpot_s == calm[p].tpot_s for p in states if p not in throttled)


def test_load_is_higher_on_weekday_afternoons_than_on_weekend_nights():
    weekend_night = datetime(2026, 11, 29, 3, 0, tzinfo=UTC).timestamp()
    assert load_shape(T0) > 2 * load_shape(weekend_night)


def test_merged_scrapes_keep_every_point():
    fleet = build_fleet()
    metrics = FleetMetrics(fleet, random.Random(1), T0)
    states = replica_states(fleet, T0, 1, IncidentSchedule().effects(T0))
    scrapes = [metrics.collect(T0 + 60 * i, 60, states) for i in range(1, 4)]
    merged = merge_metrics(scrapes)
    count = sum(len(m.data.data_points) for rm in merged.resource_metrics for sm in rm.scope_metrics for m in sm.metrics)
    assert count == metrics.points + metrics.histogram_points
    assert len(merged.resource_metrics) == len(scrapes[0].resource_metrics)


@pytest.mark.parametrize("text, seconds", [("7d", 604800), ("36h", 129600), ("90m", 5400), ("45s", 45), ("12", 12),
                                           ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7 days", "-1h", "1y", "500d"])
def test_bad_durations_are_refused_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match="duration|longer than"):
        parse_duration(text)


def test_spontaneous_xid_errors_are_recorded_with_their_time_and_switch_off_without_changing_a_fault_free_scrape():
    fleet = build_fleet()
    states = replica_states(fleet, T0, 1, IncidentSchedule().effects(T0))

    def scrape(rate: float) -> tuple[FleetMetrics, list]:
        metrics = FleetMetrics(fleet, random.Random(7), T0, xid_per_gpu_per_s=rate)
        data = metrics.collect(T0 + 60, 60, states)
        return metrics, [(m.name, [p.value if hasattr(p, "value") else p.sum for p in m.data.data_points]) for rm in data.resource_metrics
                         for sm in rm.scope_metrics for m in sm.metrics if "XID" not in m.name and "errors" not in m.name]

    faulty, _ = scrape(1 / 60)                         # every GPU draws a fault in a 60 s scrape
    rare, rare_points = scrape(1e-12)                  # a real rate that happens to draw none
    calm, calm_points = scrape(0.0)
    gpus = sum(len(node.replicas) for node in fleet.nodes)
    assert len(faulty.xid_events) == gpus and calm.xid_events == []
    assert {event["at"] for event in faulty.xid_events} == {datetime.fromtimestamp(T0 + 60, UTC).isoformat()
                                                             .replace("+00:00", "Z")}
    assert {event["xid"] for event in faulty.xid_events} <= {13, 31, 43}
    assert rare.xid_events == [] and rare_points == calm_points   # switched off, a fault-free scrape is unchanged


def test_a_run_placed_a_week_later_is_the_same_traffic_a_week_later():
    week = 7 * 86_400

    def shape(epoch: float) -> list:
        generated = TrafficGenerator(build_fleet(), IncidentSchedule(), 3, 0.25, 1, epoch).traces(epoch + 60, epoch + 120, 40.0)
        return [(t.service, t.tenant, t.dialect, [(s.name, round(s.start - epoch, 6), round(s.end - epoch, 6), s.parent,
                                                   sorted(s.attributes.items(), key=str), s.error) for s in t.spans])
                for t in generated]

    assert shape(T0) == shape(T0 + week)     # seeded by the wall clock, the two would differ
