"""Diagnosis: which attribute values explain an anomaly (BubbleUp, STANDARDS.md §8).

The spans (or guardrail decisions) of the anomalous window are compared with a baseline window, per
dimension value (model, provider, tenant, endpoint, host, GPU, tool, prompt and policy versions,
input-length bucket, …):
- rate symptoms (latency, time to first token, errors, input tokens per call, guardrail blocks) mark
  items "bad" — slower, or longer, than the baseline's p95 for the item's peers, an error, a block —
  and score a value by how well it singles out the bad items of the window: the F0.5 score of its
  precision (its items that are bad) and its recall (the window's bad items it holds), weighted
  towards precision because a value whose items are nearly all bad (one tool) explains better than
  a broad one that holds more of them (every tool call);
- volume symptoms (requests, tokens) score a value by its share of the window's growth over the
  baseline's per-minute rate.
Each factor also carries its share of the excess (bad items beyond what its own baseline rate
predicts) and its lift (how over-represented it is). Values that single out nothing (lift about 1,
the whole population) are left out. Ties — dimensions covering the same items, such as a host and
the only model it serves — go to the value with corroborating evidence (a version that appeared with
the anomaly, a host whose GPUs throttle), then to the dimension more likely to be a cause.
Pure Polars; the counts come from named queries."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from warehouse import get_warehouse

KINDS = {"latency": "rate", "ttft": "rate", "errors": "rate", "input_per_call": "rate", "guardrail_blocks": "rate",
         "requests": "volume", "tokens": "volume"}
LABELS = {"latency": "slow spans", "ttft": "slow first tokens", "errors": "errors", "guardrail_blocks": "blocks",
          "input_per_call": "long inputs", "requests": "requests", "tokens": "tokens"}
# Dimensions that describe the symptom itself rather than a cause.
DESCRIPTIVE = {"errors": {"error_type"}, "input_per_call": {"input_tokens"}}
# Among values that explain equally well, the more likely cause first.
PRIORITY = ("tool", "prompt_version", "policy_version", "model", "provider", "host", "gpu", "tenant", "rule",
            "policy", "endpoint", "service", "agent", "component", "phase", "operation", "input_tokens", "error_type")
VERSIONED = {"prompt_version", "policy_version"}
MIN_LIFT = 1.25           # over-represented by at least a quarter
MIN_SELECTED = 5          # items of the value in the window
MIN_BAD = 2               # bad items of the value in the window
MIN_BASELINE = 20         # items below which a value's own baseline is too thin to trust
NEW_BEFORE = timedelta(minutes=15)   # a value first seen this close to the anomaly's start is new with it


@dataclass(frozen=True)
class Window:
    baseline_start: datetime
    start: datetime               # the anomaly's start: the baseline is [baseline_start, start)
    end: datetime

    @property
    def minutes(self) -> tuple[float, float]:
        return ((self.end - self.start).total_seconds() / 60, (self.start - self.baseline_start).total_seconds() / 60)


@dataclass(frozen=True)
class Scope:
    service: str = ""
    endpoint: str = ""
    model: str = ""
    tenant: str = ""
    host: str = ""


def counts(project_id: int, symptom: str, window: Window, scope: Scope = Scope()) -> pl.DataFrame:
    if symptom not in KINDS:
        raise ValueError(f"symptom is one of {', '.join(KINDS)}")
    warehouse = get_warehouse()
    if symptom == "guardrail_blocks":
        return warehouse.run_query("anomaly.guardrail_factors", project_id=project_id, start=window.baseline_start,
                                   end=window.end, sel_start=window.start, new_since=window.start - NEW_BEFORE,
                                   service=scope.service, tenant=scope.tenant)
    return warehouse.run_query(
        "anomaly.span_factors", project_id=project_id, start=window.baseline_start, end=window.end,
        sel_start=window.start, new_since=window.start - NEW_BEFORE, symptom=symptom, service=scope.service, endpoint=scope.endpoint, model=scope.model,
        tenant=scope.tenant, host=scope.host)


def rank(frame: pl.DataFrame, symptom: str, window: Window, strained: frozenset[str] = frozenset()
         ) -> tuple[pl.DataFrame, dict]:
    """The explaining values, best first, with their numbers; and the totals of the scope.
    ``strained``: hosts whose GPU or server metrics corroborate the anomaly."""
    kind = KINDS[symptom]
    frame = frame.with_columns(pl.col(c).cast(pl.Float64) for c in ("sel_n", "sel_bad", "sel_weight", "base_n",
                                                                     "base_bad", "base_weight"))
    totals = frame.filter(pl.col("dimension") == "*").row(0, named=True) if frame.height else None
    if totals is None or totals["sel_n"] == 0:
        return frame.clear(), {}
    if totals["new_in_window"]:
        # The data itself starts inside the window: nothing can be told apart as new.
        frame = frame.with_columns(pl.lit(0, dtype=frame.schema["new_in_window"]).alias("new_in_window"))
    sel_minutes, base_minutes = window.minutes
    scored = (_rate if kind == "rate" else _volume)(frame.filter(pl.col("dimension") != "*"), totals, sel_minutes,
                                                     base_minutes)
    host_of = pl.col("value").str.split("/").list.first()
    slow = symptom in ("latency", "ttft")
    ranked = (scored
              .filter(~pl.col("dimension").is_in(list(DESCRIPTIVE.get(symptom, ()))))
              .filter((pl.col("sel_n") >= MIN_SELECTED) & (pl.col("excess") > 0) & (pl.col("lift") >= MIN_LIFT))
              .with_columns(
                  tie=(pl.col("score") * 50).round(0),                     # within 2% counts as a tie
                  new_version=pl.col("dimension").is_in(list(VERSIONED)) & (pl.col("new_in_window") > 0),
                  strained_host=pl.col("dimension").is_in(["host", "gpu"]) & host_of.is_in(list(strained)))
              .with_columns(
                  corroborated=pl.col("new_version") | pl.col("strained_host"),
                  # Slowness is better explained by a GPU that throttles; anything else by a new version.
                  evidence=pl.when(pl.col("strained_host") if slow else pl.col("new_version")).then(2)
                  .when(pl.col("new_version") | pl.col("strained_host")).then(1).otherwise(0),
                  priority=pl.col("dimension").replace_strict(
                      {d: i for i, d in enumerate(PRIORITY)}, default=len(PRIORITY), return_dtype=pl.Int32))
              # A version that appeared with the anomaly and holds most of the excess (or explains it
              # nearly as well as the best value) is the likelier cause: changes come first.
              .with_columns(change=pl.col("corroborated") & ((pl.col("share") >= 0.5)
                                                             | (pl.col("score") >= 0.75 * pl.col("score").max())))
              .sort(["change", "evidence", "tie", "corroborated", "priority", "lift"],
                    descending=[True, True, True, True, False, True])
              .drop("tie", "priority", "change", "evidence", "new_version", "strained_host"))
    return ranked, {**totals, "sel_minutes": sel_minutes, "base_minutes": base_minutes}


def _rate(frame: pl.DataFrame, totals: dict, sel_minutes: float, base_minutes: float) -> pl.DataFrame:
    overall = totals["base_bad"] / totals["base_n"] if totals["base_n"] else 0.0
    own = pl.when(pl.col("base_n") >= MIN_BASELINE).then(pl.col("base_bad") / pl.col("base_n")).otherwise(overall)
    total_excess = max(totals["sel_bad"] - totals["sel_n"] * overall, 1e-9)
    precision, recall = pl.col("sel_bad") / pl.col("sel_n"), pl.col("sel_bad") / max(totals["sel_bad"], 1.0)
    return (frame.filter(pl.col("sel_bad") >= MIN_BAD)
            .with_columns(observed=precision, expected=own, excess=pl.col("sel_bad") - pl.col("sel_n") * own,
                          lift=precision / (totals["sel_bad"] / totals["sel_n"]),
                          score=1.25 * precision * recall / (0.25 * precision + recall))
            .with_columns(share=(pl.col("excess") / total_excess).clip(0.0, 1.0))
            .filter(pl.col("observed") > pl.col("expected") * 1.5))      # it got worse, not "always like this"


def _volume(frame: pl.DataFrame, totals: dict, sel_minutes: float, base_minutes: float) -> pl.DataFrame:
    growth = (totals["sel_weight"] / sel_minutes) / max(totals["base_weight"] / base_minutes, 1e-9)
    total_excess = max((totals["sel_weight"] / sel_minutes - totals["base_weight"] / base_minutes) * sel_minutes, 1e-9)
    sel_rate, base_rate = pl.col("sel_weight") / sel_minutes, pl.col("base_weight") / base_minutes
    return (frame.with_columns(observed=sel_rate, expected=base_rate, excess=(sel_rate - base_rate) * sel_minutes,
                               lift=pl.when(base_rate > 0).then(sel_rate / base_rate / growth).otherwise(float("inf")))
            .with_columns(share=(pl.col("excess") / total_excess).clip(0.0, 1.0))
            .with_columns(score=pl.col("share")))


def host_evidence(project_id: int, hosts: list[str], window: Window) -> dict[str, dict]:
    """Per host, its GPU and server metrics before and during the anomaly, and the signs of strain:
    throttling, temperature up or clocks down by 8% or more, queues doubling, a full KV cache."""
    if not hosts:
        return {}
    rows = get_warehouse().run_query("anomaly.host_metrics", project_id=project_id, start=window.baseline_start,
                                     end=window.end, sel_start=window.start, hosts=hosts)
    evidence: dict[str, dict] = {}
    sel_minutes, base_minutes = window.minutes
    for row in rows.iter_rows(named=True):
        entry = evidence.setdefault(row["host"], {"metrics": {}, "signals": []})
        before, during = row["before"], row["during"]
        if row["metric_name"] in COUNTERS:
            before, during = row["before_increase"] / max(base_minutes, 1), row["during_increase"] / max(sel_minutes, 1)
        entry["metrics"][row["metric_name"]] = {"before": before, "during": during}
        signal = _strain(row["metric_name"], before, during)
        if signal:
            entry["signals"].append(signal)
    return evidence


COUNTERS = {"gpu.throttle.thermal", "gpu.throttle.power", "gpu.errors"}


def _strain(metric: str, before, during) -> str:
    if before is None or during is None:
        return ""
    if metric in ("gpu.throttled", *COUNTERS) and during > max(before * 2, 1e-9) and during > 0:
        return f"{metric} up ({before:.3g} → {during:.3g})"
    if metric == "gpu.temperature" and during >= before * 1.08:
        return f"temperature up {during / before - 1:.0%} ({before:.0f} → {during:.0f} °C)"
    if metric == "gpu.clock.sm" and before > 0 and during <= before * 0.92:
        return f"SM clock down {1 - during / before:.0%} ({before:.0f} → {during:.0f} MHz)"
    if metric == "inference.requests.waiting" and during >= max(before * 2, 1):
        return f"waiting requests up ({before:.1f} → {during:.1f})"
    if metric == "inference.kv_cache.utilization" and during >= 0.95 > before:
        return f"KV cache full ({during:.0%})"
    return ""


def factors(project_id: int, symptom: str, window: Window, scope: Scope = Scope(), top: int = 10) -> list[dict]:
    """The ranked factors, as records: dimension, value, score, share of the excess, lift, observed
    and expected (bad rates or per-minute volumes), counts, whether the value is new in the window and
    whether other evidence corroborates it."""
    frame = counts(project_id, symptom, window, scope)
    hosts = sorted({v.split("/")[0] for d, v in zip(frame["dimension"], frame["value"], strict=True)
                    if d in ("host", "gpu")}) if frame.height else []
    evidence = host_evidence(project_id, hosts, window)
    ranked, _ = rank(frame, symptom, window, frozenset(h for h, e in evidence.items() if e["signals"]))
    return [{k: _number(v) for k, v in row.items()} for row in ranked.head(top).iter_rows(named=True)]


def _number(value):
    """Rounded; a lift over a baseline of nothing (a value new in the window) has no finite number: None."""
    if not isinstance(value, float):
        return value
    return round(value, 6) if math.isfinite(value) else None
