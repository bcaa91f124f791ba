"""Incidents: what goes wrong, when, and the ground truth the diagnosis work must find.

Each kind changes the traffic (and, where it should, the GPU metrics) only inside its window;
``Effects`` is the merged view of the incidents active at one instant.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .fleet import GUARDRAILS

PROMPT_VERSION = 7   # every prompt starts here; a bump incident moves it

KINDS = ("gpu_throttle", "provider_errors", "tenant_cost_spike", "prompt_bump", "guardrail_surge", "slow_tool")

# Targets in the default fleet, and what the diagnosis should rank first.
_TARGETS: dict[str, dict] = {
    "gpu_throttle": {"host": "gpu-h100-01", "factor": 2.6},
    "provider_errors": {"provider": "anthropic", "model": "claude-sonnet-4-5", "error_ratio": 0.45,
                        "error_type": "overloaded_error"},
    "tenant_cost_spike": {"tenant": "globex", "request_factor": 5.0, "output_factor": 2.5},
    "prompt_bump": {"service": "support-agent", "prompt": "support-answer", "input_factor": 2.0},
    "guardrail_surge": {"policy_id": "prompt-injection", "block_ratio": 0.14},
    "slow_tool": {"tool": "lookup_order", "latency_factor": 8.0, "timeout_ratio": 0.25, "timeout_s": 10.0},
}

_DESCRIPTIONS = {
    "gpu_throttle": "GPU node {host} throttles thermally: SM clocks drop, temperature rises, and TTFT and "
                    "time per output token rise only for requests served there",
    "provider_errors": "{provider} returns {error_type} for {model} on a share of calls; agents retry and fall back",
    "tenant_cost_spike": "tenant {tenant} sends {request_factor:g}x its usual requests with longer answers",
    "prompt_bump": "prompt {prompt} of {service} moves to version {version_after}, which doubles input tokens",
    "guardrail_surge": "policy {policy_id} moves to version {version_during} and blocks far more inputs",
    "slow_tool": "tool {tool} becomes {latency_factor:g}x slower and times out on a share of calls",
}

_SIGNALS = {
    "gpu_throttle": ["ttft and time per output token up for spans with host={host}",
                     "gpu.temperature up, gpu.clock.sm down, gpu.throttle.thermal rising on {host}"],
    "provider_errors": ["error ratio of model {model} (provider {provider}) up, error.type={error_type}",
                        "retries (http.request.resend_count) and fallbacks"],
    "tenant_cost_spike": ["requests, output tokens and cost of tenant {tenant} up"],
    "prompt_bump": ["input tokens per call of {service} up, gen_ai.prompt.version={version_after}"],
    "guardrail_surge": ["guardrail verdict deny / action block ratio of policy {policy_id} up, "
                        "policy version {version_during}"],
    "slow_tool": ["duration of execute_tool {tool} up, TimeoutError on a share of calls"],
}


@dataclass(frozen=True)
class Incident:
    id: str
    kind: str
    start: float               # unix seconds, UTC
    end: float
    target: dict = field(default_factory=dict)

    def active(self, t: float) -> bool:
        return self.start <= t < self.end

    def ground_truth(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "target": self.target,
            "description": _DESCRIPTIONS[self.kind].format(**self.target),
            "expected_signals": [s.format(**self.target) for s in _SIGNALS[self.kind]],
        }


@dataclass
class Effects:
    """What the incidents active at one instant change. Defaults mean a healthy fleet."""

    throttled_hosts: dict[str, float] = field(default_factory=dict)   # host → slowdown factor
    failing_models: dict[str, tuple[float, str]] = field(default_factory=dict)  # model → (ratio, error type)
    tenant_spike: dict[str, tuple[float, float]] = field(default_factory=dict)  # tenant → (requests, output)
    prompt_factor: dict[str, float] = field(default_factory=dict)     # prompt → input token factor
    prompt_version: dict[str, int] = field(default_factory=dict)      # prompt → version
    policy_block: dict[str, float] = field(default_factory=dict)      # policy → block ratio
    policy_version: dict[str, str] = field(default_factory=dict)      # policy → version
    slow_tools: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # tool → (factor, ratio, s)


class IncidentSchedule:
    """The incidents of one run. Prompt and policy versions persist after their incident ends."""

    def __init__(self, incidents: list[Incident] | None = None):
        self.incidents: list[Incident] = sorted(incidents or [], key=lambda i: i.start)

    def add(self, kind: str, start: float, duration: float) -> Incident:
        prior = sum(1 for i in self.incidents if i.kind == kind)
        incident = make_incident(kind, start, duration, len(self.incidents), prior)
        self.incidents.append(incident)
        self.incidents.sort(key=lambda i: i.start)
        return incident

    def effects(self, t: float) -> Effects:
        effects = Effects()
        for incident in self.incidents:
            if incident.start > t:
                break
            _versions_after(incident, t, effects)
            if incident.active(t):
                _apply(incident, effects)
        return effects

    def ground_truth(self) -> list[dict]:
        return [incident.ground_truth() for incident in self.incidents]


def backfill_schedule(start: float, end: float, rng: random.Random) -> "IncidentSchedule":
    """One incident of each kind spread over [start, end): seeded order, no overlaps."""
    span = end - start
    duration = min(90 * 60.0, max(3 * 60.0, span / 12))
    kinds = list(KINDS)
    rng.shuffle(kinds)
    schedule = IncidentSchedule()
    for slot, kind in enumerate(kinds):
        at = min(start + span * (0.12 + 0.14 * slot), end - duration)
        schedule.add(kind, _floor_minute(at), duration)
    return schedule


def make_incident(kind: str, start: float, duration: float, number: int, prior: int = 0) -> Incident:
    """Incident ``number`` of a run; ``prior`` earlier ones of the same kind set the versions it moves."""
    target = dict(_TARGETS[kind])
    if kind == "prompt_bump":
        target.update(version_before=PROMPT_VERSION + 2 * prior, version_after=PROMPT_VERSION + 1 + 2 * prior,
                      version_restored=PROMPT_VERSION + 2 + 2 * prior)
    if kind == "guardrail_surge":
        major, minor = policy_version_parts(GUARDRAILS[target["policy_id"]][2])
        target.update(version_before=f"{major}.{minor + 2 * prior}", version_during=f"{major}.{minor + 1 + 2 * prior}",
                      version_after=f"{major}.{minor + 2 + 2 * prior}")
    return Incident(f"inc-{number + 1:03d}-{kind}", kind, start, start + duration, target)


def policy_version_parts(version: str) -> tuple[str, int]:
    major, _, minor = version.rpartition(".")
    return major, int(minor)


def _apply(incident: Incident, effects: Effects) -> None:
    t = incident.target
    if incident.kind == "gpu_throttle":
        effects.throttled_hosts[t["host"]] = t["factor"]
    elif incident.kind == "provider_errors":
        effects.failing_models[t["model"]] = (t["error_ratio"], t["error_type"])
    elif incident.kind == "tenant_cost_spike":
        effects.tenant_spike[t["tenant"]] = (t["request_factor"], t["output_factor"])
    elif incident.kind == "prompt_bump":
        effects.prompt_factor[t["prompt"]] = t["input_factor"]
    elif incident.kind == "guardrail_surge":
        effects.policy_block[t["policy_id"]] = t["block_ratio"]
    elif incident.kind == "slow_tool":
        effects.slow_tools[t["tool"]] = (t["latency_factor"], t["timeout_ratio"], t["timeout_s"])


def _versions_after(incident: Incident, t: float, effects: Effects) -> None:
    target = incident.target
    if incident.kind == "prompt_bump":
        key = "version_after" if incident.active(t) else "version_restored"
        effects.prompt_version[target["prompt"]] = target[key]
    elif incident.kind == "guardrail_surge":
        key = "version_during" if incident.active(t) else "version_after"
        effects.policy_version[target["policy_id"]] = target[key]


def _floor_minute(t: float) -> float:
    return float(int(t) // 60 * 60)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")

