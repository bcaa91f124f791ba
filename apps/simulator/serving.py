"""The real load on the fleet and what it does to each vLLM replica and its GPU.

Traces are a sample of the traffic; the load here is the whole of it, computed from rates (not
from the sampled traces), so GPU and server metrics follow the same shape and incidents as the
traces without sampling noise. A replica's concurrency, KV-cache use, queueing, TTFT and time per
output token come from a small fixed-point model (Little's law with a batch-size slowdown and a
KV-cache limit); its GPU's utilisation, power, temperature and clocks follow from those.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from .fleet import Fleet, ReplicaSpec, ServiceSpec
from .incidents import Effects

# Per flow: step → (model key in ServiceSpec.models, calls per request, mean input, mean output tokens).
STEPS: dict[str, dict[str, tuple[float, int, int]]] = {
    "support": {"plan": (1.0, 1900, 140), "embed": (1.0, 60, 0), "answer": (1.0, 2300, 260)},
    "search": {"embed": (1.0, 40, 0), "answer": (1.0, 3100, 320)},
    "review": {"plan": (1.0, 5200, 900), "answer": (1.0, 6400, 700), "summary": (1.0, 1400, 180)},
    "sales": {"answer": (1.0, 1600, 420), "summary": (1.0, 900, 120)},
}
PROMPTED_STEP = "answer"       # the step whose prompt template a prompt_bump incident changes


def load_shape(t: float) -> float:
    """Traffic relative to the weekly mean: a weekday afternoon peak (UTC), quieter nights and weekends."""
    return _raw_shape(t) / _SHAPE_MEAN


def _raw_shape(t: float) -> float:
    moment = datetime.fromtimestamp(t, UTC)
    hour = moment.hour + moment.minute / 60
    daily = 0.35 + math.exp(-(((hour - 15) / 4.5) ** 2)) + 0.25 * math.exp(-(((hour - 9) / 2.5) ** 2))
    return daily * (0.55 if moment.weekday() >= 5 else 1.0)


_SHAPE_MEAN = sum(_raw_shape(1_700_000_000 + i * 600) for i in range(7 * 144)) / (7 * 144)


def service_rps(service: ServiceSpec, t: float, fleet_size: int, tenant_weights: dict[str, float],
                effects: Effects) -> float:
    """Real requests per second of one service at ``t``, with tenant spikes."""
    spike = sum(weight * (effects.tenant_spike[tenant][0] - 1) for tenant, weight in tenant_weights.items()
                if tenant in effects.tenant_spike)
    return service.rps * fleet_size * load_shape(t) * (1 + spike)


@dataclass(frozen=True)
class ReplicaState:
    rps: float
    concurrency: float
    running: float
    waiting: float
    kv_usage: float            # 0–1
    queue_s: float
    prefill_tps: float         # effective, after slowdown
    tpot_s: float              # effective, at the current batch
    input_mean: float
    output_mean: float
    slowdown: float            # 1 = healthy; > 1 while the node throttles


def replica_states(fleet: Fleet, t: float, fleet_size: int, effects: Effects) -> dict[str, ReplicaState]:
    """The state of every replica (by pod name) under the load at ``t``."""
    weights = {tenant.id: tenant.weight for tenant in fleet.tenants}
    demand: dict[str, list[tuple[float, float, float]]] = {}    # model → [(rps, input, output)]
    for service in fleet.services:
        rps = service_rps(service, t, fleet_size, weights, effects)
        output_boost = 1 + sum(w * (effects.tenant_spike[k][1] - 1) for k, w in weights.items()
                               if k in effects.tenant_spike)
        for step, (calls, tokens_in, tokens_out) in STEPS[service.flow].items():
            model = service.models[step]
            factor = effects.prompt_factor.get(service.prompt, 1.0) if step == PROMPTED_STEP else 1.0
            demand.setdefault(model, []).append((rps * calls, tokens_in * factor, tokens_out * output_boost))
    states = {}
    for replica in fleet.replicas:
        loads = demand.get(replica.model.name, [])
        count = len(fleet.replicas_for(replica.model.name))
        states[replica.pod] = _solve(replica, loads, count, effects.throttled_hosts.get(replica.host, 1.0))
    return states


def _solve(replica: ReplicaSpec, loads: list[tuple[float, float, float]], replicas: int,
           slowdown: float) -> ReplicaState:
    rps = sum(load[0] for load in loads) / replicas
    input_mean = sum(load[0] * load[1] for load in loads) / max(rps * replicas, 1e-9)
    output_mean = sum(load[0] * load[2] for load in loads) / max(rps * replicas, 1e-9)
    prefill_tps = replica.prefill_tps / slowdown
    concurrency = 0.0
    for _ in range(12):
        tpot = replica.tpot_s * slowdown * (1 + concurrency / replica.batch_knee)
        kv = concurrency * (input_mean + output_mean / 2) / replica.kv_capacity_tokens
        running = concurrency * min(1.0, 0.92 / kv) if kv > 0 else 0.0
        waiting = concurrency - running
        queue_s = waiting / rps if rps > 0 else 0.0
        service_s = queue_s + input_mean / prefill_tps + output_mean * tpot
        # Damped, and capped: an overloaded replica queues, it does not diverge.
        concurrency = min(0.5 * concurrency + 0.5 * rps * service_s, 40 * replica.batch_knee)
    kv = concurrency * (input_mean + output_mean / 2) / replica.kv_capacity_tokens
    return ReplicaState(rps, concurrency, running, waiting, min(kv, 1.0), queue_s, prefill_tps,
                        replica.tpot_s * slowdown * (1 + running / replica.batch_knee), input_mean, output_mean,
                        slowdown)


@dataclass(frozen=True)
class GpuReading:
    utilization: float         # 0–1 (DCGM reports 0–100)
    sm_active: float           # 0–1
    power_w: float
    temperature_c: float
    memory_temperature_c: float
    sm_clock_mhz: float
    mem_clock_mhz: float
    memory_used_mib: float
    throttled: bool


def gpu_reading(replica: ReplicaSpec, state: ReplicaState, noise: float) -> GpuReading:
    """What the GPU under one replica reports; ``noise`` is a small zero-mean jitter (±0.05)."""
    gpu = replica.gpu
    busy = 1 - math.exp(-state.concurrency / 1.5)
    sm_active = busy * (0.3 + 0.6 * min(1.0, state.running / replica.batch_knee)) * (1 + noise)
    throttled = state.slowdown > 1
    power = gpu.idle_w + (gpu.tdp_w - gpu.idle_w) * (0.08 + 0.85 * sm_active)
    if throttled:
        power = min(power, 0.62 * gpu.tdp_w)
    temperature = 31 + 50 * power / gpu.tdp_w + 3 * noise
    if throttled:
        temperature = 89.5 + 4 * abs(noise) * 10
    clock = gpu.sm_clock_mhz * (0.55 if throttled else (0.72 + 0.28 * busy))
    memory_used = gpu.memory_mib * 0.9 + 520
    return GpuReading(min(busy * (1 + noise), 1.0), min(max(sm_active, 0.0), 1.0), power, temperature,
                      temperature + 6, round(clock), gpu.mem_clock_mhz, memory_used, throttled)
