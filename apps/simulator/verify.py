"""Check a simulation's ground truth against what the warehouse stored.

Used by the tests, by the benchmark and by ``manage.py verify_simulation``: everything sent is
stored (per service), every tenant, dialect, GenAI operation and metric vocabulary arrived, and
each incident shows its signal inside its window and not outside it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from warehouse import get_warehouse

OPERATIONS = ("invoke_agent", "chat", "execute_tool", "embeddings", "retrieval", "run_guardrail")
DIALECTS = ("otel_genai", "otel_genai_deprecated", "openinference", "openllmetry")
SOURCES = ("dcgm", "hw", "vllm")

# kind → (target parameters of its query, minimum inside/outside ratio, minimum inside, maximum outside)
_INCIDENT_RULES: dict[str, tuple[tuple[str, ...], float, float, float]] = {
    "gpu_throttle": (("host",), 1.8, 0.0, float("inf")),
    "provider_errors": (("model",), 0.0, 0.3, 0.05),
    "tenant_cost_spike": (("tenant",), 2.0, 0.0, float("inf")),
    "prompt_bump": (("prompt",), 1.6, 0.0, float("inf")),
    "guardrail_surge": (("policy_id",), 3.0, 0.08, float("inf")),
    "slow_tool": (("tool",), 4.0, 0.0, float("inf")),
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def verify(project_id: int, truth: dict) -> list[Check]:
    start = _instant(truth["window"]["start"])
    # A trace that starts just before the end keeps going after it (slow tools and incidents make
    # agent runs of several minutes): look far enough past the end to count its last spans.
    end = _instant(truth["window"]["end"]) + timedelta(minutes=15)
    spans = get_warehouse().run_query("simulator.span_counts", project_id=project_id, start=start, end=end)
    metrics = get_warehouse().run_query("simulator.metric_counts", project_id=project_id, start=start, end=end)
    checks = _span_checks(spans, truth) + _metric_checks(metrics, truth)
    for incident in truth["incidents"]:
        checks.append(_incident_check(project_id, incident, start, end))
    return checks


def _span_checks(spans: pl.DataFrame, truth: dict) -> list[Check]:
    sent = truth["sent"]
    stored_by_service = dict(spans.group_by("service_name").agg(pl.col("spans").sum()).iter_rows())
    tenants = set(spans["tenant"].unique().to_list()) - {""}
    operations = set(spans["operation"].unique().to_list())
    dialects = set(spans["dialect"].unique().to_list())
    expected_dialects = set(DIALECTS) if truth["config"]["legacy_share"] > 0 else {"otel_genai"}
    return [
        _equal("spans stored = spans sent", int(spans["spans"].sum()), sent["spans"]),
        _equal("spans stored per service", stored_by_service, sent["spans_by_service"]),
        Check("nothing refused", sent["spans_failed"] == 0 and sent["metric_requests_failed"] == 0,
              f"{sent['spans_failed']} spans and {sent['metric_requests_failed']} metric requests refused"),
        _equal("tenants", tenants, set(truth["fleet"]["tenants"])),
        _superset("GenAI operations", operations, set(OPERATIONS)),
        _superset("dialects", dialects, expected_dialects),
    ]


def _metric_checks(metrics: pl.DataFrame, truth: dict) -> list[Check]:
    points = metrics.filter(pl.col("kind") == "point")
    histograms = metrics.filter(pl.col("kind") == "histogram")
    return [
        _equal("metric points stored = sent", int(points["points"].sum()), truth["metrics"]["points"]),
        _equal("histogram points stored = sent", int(histograms["points"].sum()), truth["metrics"]["histogram_points"]),
        _superset("metric vocabularies", set(metrics["source"].unique().to_list()), set(SOURCES)),
        _superset("GPU and server series", set(metrics["metric_name"].unique().to_list()),
                  {"gpu.utilization", "gpu.sm_active", "gpu.memory.used", "gpu.power", "gpu.temperature",
                   "gpu.clock.sm", "gpu.throttle.thermal", "gpu.xid.last", "inference.requests.running",
                   "inference.requests.waiting", "inference.kv_cache.utilization", "inference.prefix_cache.hits",
                   "inference.ttft", "inference.itl"}),
    ]


def _incident_check(project_id: int, incident: dict, start: datetime, end: datetime) -> Check:
    keys, min_ratio, min_inside, max_outside = _INCIDENT_RULES[incident["kind"]]
    frame = get_warehouse().run_query(
        f"simulator.incident_{incident['kind']}", project_id=project_id, start=start, end=end,
        incident_start=_instant(incident["start"]), incident_end=_instant(incident["end"]),
        **{key: incident["target"][key] for key in keys})
    inside, outside = (float(frame[column][0] or 0.0) for column in ("inside", "outside"))
    ratio = inside / outside if outside else float("inf")
    ok = ratio >= min_ratio and inside >= min_inside and outside <= max_outside
    return Check(f"incident {incident['id']}", ok,
                 f"inside {inside:.4g}, outside {outside:.4g}, ratio {ratio:.3g} (needs ≥ {min_ratio:g}"
                 f"{f', inside ≥ {min_inside:g}' if min_inside else ''}"
                 f"{f', outside ≤ {max_outside:g}' if max_outside != float('inf') else ''})")


def _equal(name: str, stored, sent) -> Check:
    return Check(name, stored == sent, f"stored {stored}, sent {sent}")


def _superset(name: str, stored: set, expected: set) -> Check:
    missing = expected - stored
    return Check(name, not missing, f"missing {sorted(missing)}" if missing else f"all {len(expected)} present")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
