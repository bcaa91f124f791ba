"""Pure trace arithmetic: span classes, the critical path, the per-step breakdown and the GPU lane."""

from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from apps.slo.sli import LLM_OPERATIONS

CLASS_BY_OPERATION = {
    **{op: "llm" for op in LLM_OPERATIONS},
    "invoke_agent": "agent", "create_agent": "agent", "execute_tool": "tool", "retrieval": "retrieval",
    "embeddings": "embedding", "run_guardrail": "guardrail",
}
# Time on the critical path that belongs to a parent rather than a child: the gaps between its steps
# (queueing, orchestration, waiting on something that is not traced).
GAPS = "queueing & orchestration"
CUMULATIVE_METRICS = ("gpu.throttle.power", "gpu.throttle.thermal", "gpu.errors")


def span_class(operation: str, kind: str) -> str:
    if operation in CLASS_BY_OPERATION:
        return CLASS_BY_OPERATION[operation]
    return "http" if kind == "server" else "other"


@dataclass(frozen=True)
class Segment:
    span_id: str
    start_ns: int
    end_ns: int


def critical_path(spans: list[dict]) -> list[Segment]:
    """The chain of work that decided the trace's end time (the Jaeger algorithm).

    From the root's end, walk back: the child that finished last before the cursor is on the path
    (recursively), the cursor moves to that child's start, and the parent's own time between
    children is on the path as the parent's. Children are clipped to their parent's bounds. Iterative,
    so a deep trace cannot exhaust the stack. ``spans``: span_id, parent_id, start_ns, duration_ns.
    """
    if not spans:
        return []
    ids = {s["span_id"] for s in spans}
    children: dict[str, list[dict]] = defaultdict(list)
    for s in spans:
        if s["parent_id"] in ids and s["parent_id"] != s["span_id"]:
            children[s["parent_id"]].append(s)
    for kids in children.values():
        kids.sort(key=lambda k: k["start_ns"] + k["duration_ns"], reverse=True)
    roots = [s for s in spans if s["parent_id"] not in ids] or spans[:1]
    root = max(roots, key=lambda s: (s["start_ns"] + s["duration_ns"], s["duration_ns"]))
    segments: list[Segment] = []
    seen: set[str] = set()
    root_start, root_end = root["start_ns"], root["start_ns"] + root["duration_ns"]
    # A frame: the span, its bounds clipped to every ancestor's, the cursor, the next child to look at.
    stack = [[root, root_start, root_end, root_end, 0]]
    while stack:
        frame = stack[-1]
        span, start, end, cursor, index = frame
        seen.add(span["span_id"])
        kids = children.get(span["span_id"], [])
        while index < len(kids):
            kid = kids[index]
            index += 1
            kid_start = max(kid["start_ns"], start)
            kid_end = min(kid["start_ns"] + kid["duration_ns"], end)
            if kid_end > cursor or kid_end <= start or kid["span_id"] in seen:
                continue
            if cursor > kid_end:
                segments.append(Segment(span["span_id"], kid_end, cursor))
            frame[3], frame[4] = kid_start, index
            stack.append([kid, kid_start, kid_end, kid_end, 0])
            break
        else:
            if cursor > start:
                segments.append(Segment(span["span_id"], start, cursor))
            stack.pop()
    return sorted(segments, key=lambda s: s.start_ns)


def breakdown(spans: list[dict], segments: list[Segment]) -> list[dict]:
    """Share of the critical path, total span time, tokens and cost per step class.

    A parent's own segments count as the gaps between its steps, except for LLM, tool, retrieval,
    embedding and guardrail spans, whose own time is that step's work.
    """
    by_id = {s["span_id"]: s for s in spans}
    path_ns: dict[str, int] = defaultdict(int)
    for seg in segments:
        cls = by_id[seg.span_id]["span_class"]
        path_ns[cls if cls not in ("agent", "http", "other") else GAPS] += seg.end_ns - seg.start_ns
    total_path = sum(path_ns.values()) or 1
    span_ns: dict[str, int] = defaultdict(int)
    tokens: dict[str, int] = defaultdict(int)
    cost: dict[str, float] = defaultdict(float)
    for s in spans:
        cls = s["span_class"] if s["span_class"] not in ("agent", "http", "other") else GAPS
        span_ns[cls] += s["duration_ns"] if cls != GAPS else 0
        tokens[cls] += s["input_tokens"] + s["output_tokens"]
        cost[cls] += s.get("cost") or 0.0
    total_cost = sum(cost.values())
    classes = sorted(set(path_ns) | {c for c, v in span_ns.items() if v} | {c for c, v in tokens.items() if v}
                     | {c for c, v in cost.items() if v}, key=lambda c: -path_ns.get(c, 0))
    return [{"step": c, "critical_path_ns": path_ns.get(c, 0), "critical_path_share": path_ns.get(c, 0) / total_path,
             "span_time_ns": span_ns.get(c, 0), "tokens": tokens.get(c, 0), "cost": cost.get(c, 0.0),
             "cost_share": cost.get(c, 0.0) / total_cost if total_cost else None} for c in classes]


def gpu_lanes(points: pl.DataFrame, spans: list[dict]) -> list[dict]:
    """One lane per GPU (host/GPU index) that served LLM calls of the trace, with its metric series and
    those of the inference servers for the same model on that host; counters become per-second rates."""
    served: dict[str, dict] = {}
    for s in spans:
        if s["span_class"] in ("llm", "embedding") and s["host"] and s["gpu_id"]:
            lane = served.setdefault(f"{s['host']}/{s['gpu_id']}", {
                "host": s["host"], "gpu_id": s["gpu_id"], "models": set(), "span_ids": []})
            lane["models"].add(s["model"])
            lane["span_ids"].append(s["span_id"])
    if not served or points.is_empty():
        return [{**lane, "models": sorted(lane["models"]), "metrics": {}} for lane in served.values()]
    rated = _rates(points)
    lanes = []
    for key, lane in sorted(served.items()):
        mine = rated.filter(((pl.col("host") == lane["host"]) & (pl.col("gpu_id") == lane["gpu_id"]))
                            | ((pl.col("host") == lane["host"]) & (pl.col("gpu_id") == "")
                               & pl.col("model_name").is_in(sorted(lane["models"]))))
        metrics = {}
        for (name,), part in mine.group_by(["metric_name"], maintain_order=True):
            per_time = part.group_by("at", maintain_order=True).agg(pl.col("value").mean() if not str(name).startswith(
                "inference.requests") else pl.col("value").sum()).sort("at")
            metrics[str(name)] = {"t": per_time["at"].to_list(), "v": per_time["value"].to_list()}
        lanes.append({"key": key, **lane, "models": sorted(lane["models"]), "metrics": metrics})
    return lanes


def _rates(points: pl.DataFrame) -> pl.DataFrame:
    """Cumulative counters → per-second increase between consecutive points of a series (resets → 0)."""
    series = ["host", "gpu_id", "model_name", "metric_name"]
    is_counter = pl.col("metric_name").is_in(CUMULATIVE_METRICS)
    dt = pl.col("at").diff().over(series).dt.total_milliseconds() / 1000
    # Two points at one instant (a duplicate exporter, a retry) have no rate: a gap, not infinity.
    rate = pl.when(dt > 0).then((pl.col("value").diff().over(series) / dt).clip(lower_bound=0))
    return points.sort([*series, "at"]).with_columns(
        pl.when(is_counter).then(rate).otherwise(pl.col("value")).fill_nan(None).alias("value")
    ).filter(pl.col("value").is_not_null())
