"""Agentic requests as span trees: what each service does for one user request.

``Workload.trace`` turns an arrival (service, time) into a ``TraceSpec`` — plain data with
absolute times — using the current incident ``Effects`` and replica states, and one seeded RNG,
so that a run is reproducible. ``emit.py`` turns the specs into real OpenTelemetry SDK spans.
"""

import math
import random
from dataclasses import dataclass, field, replace

from opentelemetry.trace import SpanKind

from . import dialects
from .dialects import GuardrailCheck, LlmCall
from .fleet import GUARDRAILS, MODELS, TOOLS, Fleet, ModelSpec, ServiceSpec, Tenant
from .incidents import PROMPT_VERSION, Effects
from .serving import PROMPTED_STEP, STEPS, ReplicaState

_HOSTED_ADDRESS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com",
                   "gcp.gemini": "generativelanguage.googleapis.com"}
_BASE_BLOCK = {"prompt-injection": 0.015, "pii-redaction": 0.004, "toxicity": 0.006}
_BASE_MODIFY = {"prompt-injection": 0.0, "pii-redaction": 0.06, "toxicity": 0.01}
_RISK = {"prompt-injection": ("prompt_injection", "pi-jailbreak-003", "jailbreak_pattern"),
         "pii-redaction": ("pii", "pii-email-001", "pii_detected"),
         "toxicity": ("toxicity", "tox-harassment-002", "toxic_language")}
_MAX_RETRIES = 2


@dataclass
class SpanSpec:
    name: str
    kind: SpanKind
    start: float
    end: float
    parent: int
    attributes: dict
    error: str = ""
    events: list[tuple[str, float, dict]] = field(default_factory=list)


@dataclass
class TraceSpec:
    service: str
    tenant: str
    dialect: str
    spans: list[SpanSpec]

    @property
    def end(self) -> float:
        return max(span.end for span in self.spans)


class Workload:
    def __init__(self, fleet: Fleet, rng: random.Random, legacy_share: float):
        self.fleet = fleet
        self.rng = rng
        self.legacy_share = legacy_share

    def pick_service(self, weights: list[float]) -> ServiceSpec:
        return self.rng.choices(self.fleet.services, weights)[0]

    def trace(self, service: ServiceSpec, t: float, effects: Effects, states: dict[str, ReplicaState]) -> TraceSpec:
        request = _Request(self, service, t, effects, states)
        getattr(request, f"flow_{service.flow}")()
        return TraceSpec(service.name, request.tenant.id, request.dialect, request.spans)


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


class _Request:
    """Builds the spans of one request along a moving time cursor."""

    def __init__(self, workload: Workload, service: ServiceSpec, t: float, effects: Effects,
                 states: dict[str, ReplicaState]):
        rng = workload.rng
        self.rng, self.fleet, self.service, self.effects, self.states = rng, workload.fleet, service, effects, states
        self.tenant = _pick_tenant(rng, workload.fleet.tenants, effects)
        self.dialect = dialects.CURRENT if rng.random() >= workload.legacy_share else rng.choice(dialects.LEGACY)
        self.t = t
        self.failed = False
        self.spans: list[SpanSpec] = []
        self.baggage = {
            "tenant.id": self.tenant.id,
            "user.id": f"{self.tenant.id}-u{rng.randrange(self.tenant.users):03d}",
            "inferops.endpoint": service.endpoint,
            "inferops.team": service.team,
            "inferops.feature": service.feature,
            "gen_ai.conversation.id": f"conv-{rng.getrandbits(48):012x}",
        }

    # -- span bookkeeping ---------------------------------------------------------------------

    def open(self, name: str, kind: SpanKind, parent: int, attributes: dict) -> int:
        self.spans.append(SpanSpec(name, kind, self.t, self.t, parent, {**self.baggage, **attributes}))
        return len(self.spans) - 1

    def close(self, index: int, error: str = "") -> None:
        self.spans[index].end = self.t
        self.spans[index].error = error

    def advance(self, seconds: float) -> None:
        self.t += seconds

    # -- flows ----------------------------------------------------------------------------------

    def _request(self, body) -> None:
        endpoint = self.service.endpoint
        root = self.open(f"POST {endpoint}", SpanKind.SERVER, -1,
                         {"http.request.method": "POST", "http.route": endpoint, "url.scheme": "https"})
        self.advance(self.rng.uniform(0.002, 0.008))
        name, attributes = dialects.agent(self.dialect, self.service.agent, f"{self.service.feature} agent")
        agent = self.open(name, SpanKind.INTERNAL, root, attributes)
        body(agent)
        self.advance(self.rng.uniform(0.001, 0.004))
        self.close(agent, "agent failed: upstream model unavailable" if self.failed else "")
        self.advance(self.rng.uniform(0.001, 0.003))
        self.spans[root].attributes["http.response.status_code"] = 502 if self.failed else 200
        if self.failed:
            self.spans[root].attributes["error.type"] = "502"
        self.close(root, "Bad Gateway" if self.failed else "")

    def flow_support(self) -> None:
        def body(agent: int) -> None:
            if self.guardrail(agent, "prompt-injection"):
                return
            if not self.llm(agent, "plan", finish="tool_calls"):
                return
            self.embed(agent, "embed")
            self.retrieve(agent, self.service.data_source)
            for tool_name in self.rng.sample(self.service.tools, self.rng.randint(1, len(self.service.tools))):
                self.tool(agent, tool_name)
            if self.llm(agent, "answer"):
                self.guardrail(agent, "pii-redaction")
        self._request(body)

    def flow_search(self) -> None:
        def body(agent: int) -> None:
            self.embed(agent, "embed")
            self.retrieve(agent, self.service.data_source)
            if self.llm(agent, "answer"):
                self.guardrail(agent, "toxicity")
        self._request(body)

    def flow_review(self) -> None:
        def body(agent: int) -> None:
            if not self.llm(agent, "plan", finish="tool_calls"):
                return
            self.tool(agent, "fetch_diff")
            self.parallel_tools(agent, [name for name in self.service.tools if name != "fetch_diff"])
            if self.llm(agent, "answer"):
                self.llm(agent, "summary")
        self._request(body)

    def flow_sales(self) -> None:
        def body(agent: int) -> None:
            if self.guardrail(agent, "prompt-injection"):
                return
            self.tool(agent, "crm_lookup")
            if self.llm(agent, "answer") and self.llm(agent, "summary"):
                self.guardrail(agent, "pii-redaction")
        self._request(body)

    # -- steps ----------------------------------------------------------------------------------

    def llm(self, parent: int, step: str, finish: str = "stop") -> bool:
        """One model call with retries and a fallback model; False when the request must give up."""
        model = MODELS[self.service.models[step]]
        for attempt in range(_MAX_RETRIES + 1):
            if self.call(parent, step, model, finish, attempt):
                return True
            self.advance(0.5 * 2 ** attempt * self.rng.uniform(0.8, 1.2))
        fallback = MODELS[self.service.models["fallback"]]
        if self.call(parent, step, fallback, finish, 0):
            return True
        self.failed = True
        return False

    def call(self, parent: int, step: str, model: ModelSpec, finish: str, retry: int) -> bool:
        tokens_in, tokens_out = self.tokens(step)
        error_ratio, error_type = self.effects.failing_models.get(model.name, (0.0, model.error_type))
        failed = self.rng.random() < error_ratio + (0.004 if model.hosted else 0.001)
        placement = self.placement(model)
        call = self.usage(model, tokens_in, tokens_out, finish, placement, step)
        duration, ttft = self.latency(model, call, placement)
        if failed:
            call = replace(call, input_tokens=0, output_tokens=0, cache_read=0, cache_write=0, reasoning=0,
                           error_type=error_type, retry=retry)
            duration = self.rng.uniform(0.15, 1.2)
        elif retry:
            call = replace(call, retry=retry)
        if ttft and not failed:
            call = replace(call, ttft_s=ttft)
        name, attributes = dialects.llm(self.dialect, call)
        index = self.open(name, SpanKind.CLIENT, parent, attributes)
        self.advance(duration)
        if failed:
            message = f"{error_type}: {model.provider} returned an error for {model.name}"
            self.spans[index].events.append(("exception", self.t, {"exception.type": error_type,
                                                                   "exception.message": message}))
        self.close(index, f"{error_type}: upstream error" if failed else "")
        self.advance(self.rng.uniform(0.002, 0.015))
        return not failed

    def tokens(self, step: str) -> tuple[int, int]:
        _, mean_in, mean_out = STEPS[self.service.flow][step]
        factor = self.effects.prompt_factor.get(self.service.prompt, 1.0) if step == PROMPTED_STEP else 1.0
        spike = self.effects.tenant_spike.get(self.tenant.id, (1.0, 1.0))[1]
        tokens_in = max(8, int(lognormal(self.rng, mean_in * factor, 0.35)))
        tokens_out = max(1, int(lognormal(self.rng, mean_out * spike, 0.45))) if mean_out else 0
        return tokens_in, tokens_out

    def placement(self, model: ModelSpec) -> tuple[str, int, str, str]:
        """(server address, port, GPU index, replica pod) of the call."""
        if model.hosted:
            return _HOSTED_ADDRESS[model.provider], 443, "", ""
        replica = self.rng.choice(self.fleet.replicas_for(model.name))
        return replica.host, replica.port, str(replica.gpu_index), replica.pod

    def usage(self, model: ModelSpec, tokens_in: int, tokens_out: int, finish: str,
              placement: tuple[str, int, str, str], step: str) -> LlmCall:
        rng = self.rng
        cache_read = cache_write = reasoning = 0
        if model.cache == "openai" and tokens_in >= 1024 and rng.random() < 0.55:
            cache_read = int(tokens_in * rng.uniform(0.3, 0.8)) // 128 * 128
        elif model.cache == "anthropic":
            draw = rng.random()
            cached = min(tokens_in - 40, int(lognormal(rng, 1800, 0.1)))
            cache_read = cached if draw < 0.8 else 0
            cache_write = cached if 0.8 <= draw < 0.93 else 0
        elif model.cache == "gemini" and rng.random() < 0.3:
            cache_read = tokens_in // 2
        if model.reasoning:
            reasoning = int(tokens_out * rng.uniform(0.35, 0.75))
        prompt = self.service.prompt if step == PROMPTED_STEP else ""
        return LlmCall(
            "embeddings" if model.embedding else "chat", model.provider, model.name, model.response_name,
            tokens_in, tokens_out, max(cache_read, 0), max(cache_write, 0), reasoning,
            finish_reason="length" if finish == "stop" and rng.random() < 0.03 else finish,
            server_address=placement[0], server_port=placement[1], gpu_id=placement[2],
            response_id=f"resp-{rng.getrandbits(64):016x}",
            prompt=prompt, prompt_version=self.effects.prompt_version.get(prompt, PROMPT_VERSION) if prompt else 0)

    def latency(self, model: ModelSpec, call: LlmCall, placement: tuple[str, int, str, str]) -> tuple[float, float]:
        """(duration, TTFT) in seconds; TTFT is 0 for calls that are not streamed."""
        rng = self.rng
        if model.hosted:
            tpot = lognormal(rng, model.tpot_s, 0.2)
            ttft = lognormal(rng, model.ttft_s, 0.35) + call.input_tokens * 1.5e-5 + call.reasoning * tpot
        else:
            state = self.states[placement[3]]
            queue = rng.expovariate(1 / state.queue_s) if state.queue_s > 0 else 0.0
            prefill = call.input_tokens / state.prefill_tps * (1 + 0.3 * state.kv_usage)
            ttft = (queue + prefill + 0.012) * lognormal(rng, 1.0, 0.15)
            tpot = lognormal(rng, state.tpot_s, 0.1)
        if call.operation == "embeddings":
            return ttft, 0.0
        duration = ttft + max(call.output_tokens - call.reasoning - 1, 0) * tpot
        streamed = rng.random() < 0.85
        return duration, (ttft if streamed else 0.0)

    def embed(self, parent: int, step: str) -> None:
        self.call(parent, step, MODELS[self.service.models[step]], "stop", 0)

    def retrieve(self, parent: int, data_source: str) -> None:
        name, attributes = dialects.retrieval(self.dialect, data_source, self.rng.randint(4, 10))
        index = self.open(name, SpanKind.CLIENT, parent, attributes)
        self.advance(lognormal(self.rng, 0.035, 0.4))
        self.close(index)
        self.advance(self.rng.uniform(0.001, 0.005))

    def tool(self, parent: int, tool_name: str) -> None:
        self._tool_span(parent, tool_name, self.t)
        self.advance(self.rng.uniform(0.002, 0.01))

    def parallel_tools(self, parent: int, names: list[str]) -> None:
        start = self.t
        ends = []
        for tool_name in names:
            self.t = start + self.rng.uniform(0.0, 0.004)
            self._tool_span(parent, tool_name, self.t)
            ends.append(self.t)
        self.t = max(ends) + self.rng.uniform(0.002, 0.01)

    def _tool_span(self, parent: int, tool_name: str, start: float) -> None:
        median, base_failure = TOOLS[tool_name]
        factor, timeout_ratio, timeout_s = self.effects.slow_tools.get(tool_name, (1.0, 0.0, 30.0))
        draw = self.rng.random()
        error = "TimeoutError" if draw < timeout_ratio else ("ToolError" if draw < timeout_ratio + base_failure else "")
        duration = timeout_s if error == "TimeoutError" else min(lognormal(self.rng, median * factor, 0.5), timeout_s)
        name, attributes = dialects.tool(self.dialect, tool_name, f"call_{self.rng.getrandbits(40):010x}", error)
        index = self.open(name, SpanKind.INTERNAL, parent, attributes)
        self.t = start + duration
        if error:
            self.spans[index].events.append(("exception", self.t, {"exception.type": error,
                                                                   "exception.message": f"{tool_name} failed"}))
        self.close(index, f"{error}: {tool_name}" if error else "")

    def guardrail(self, parent: int, policy: str) -> bool:
        """Run one policy; True when it blocked the request."""
        check = self._check(policy)
        name, attributes = dialects.guardrail(self.dialect, check)
        index = self.open(name, SpanKind.INTERNAL, parent, attributes)
        self.advance(lognormal(self.rng, 0.025, 0.4))
        if check.verdict == "deny":
            self.spans[index].events.append(("gen_ai.guardrail.security.finding", self.t, {
                "gen_ai.guardrail.security.risk.category": check.risk_category,
                "gen_ai.guardrail.security.risk.score": check.risk_score}))
        self.close(index)
        self.advance(self.rng.uniform(0.001, 0.004))
        return check.action == "block"

    def _check(self, policy: str) -> GuardrailCheck:
        rng = self.rng
        component, phase, base_version = GUARDRAILS[policy]
        block = self.effects.policy_block.get(policy, _BASE_BLOCK[policy])
        draw = rng.random()
        verdict = "deny" if draw < block else ("modify" if draw < block + _BASE_MODIFY[policy] else "allow")
        action = {"deny": "block", "modify": "modify", "allow": "allow"}[verdict]
        category, rule, reason = _RISK[policy]
        score = {"deny": rng.uniform(0.8, 0.99), "modify": rng.uniform(0.4, 0.7), "allow": rng.uniform(0.0, 0.3)}
        return GuardrailCheck(
            component, policy, self.effects.policy_version.get(policy, base_version), rule if verdict != "allow" else "",
            phase, verdict, action, category, round(score[verdict], 3), f"sha256:{rng.getrandbits(256):064x}",
            reason if verdict != "allow" else "no_finding")


def _pick_tenant(rng: random.Random, tenants: tuple[Tenant, ...], effects: Effects) -> Tenant:
    weights = [t.weight * effects.tenant_spike.get(t.id, (1.0, 1.0))[0] for t in tenants]
    return rng.choices(tenants, weights)[0]

