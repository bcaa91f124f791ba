"""GPU and inference-server metrics, as the real exporters name them, built as OTel SDK metric data.

Nodes with ``exporter="dcgm"`` report DCGM-exporter series (scraped by a Collector, so Prometheus
names and labels); the others report OTel ``hw.gpu.*`` series. Every replica reports vLLM's
server metrics. Counters and histograms are cumulative from the start of the run, as a
Prometheus scrape would give them. Values come from ``serving.py``'s replica states.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from .fleet import Fleet, NodeSpec, ReplicaSpec
from .serving import GpuReading, ReplicaState, gpu_reading

TTFT_BOUNDS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
               40.0, 80.0, 160.0, 640.0, 2560.0)
ITL_BOUNDS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
              80.0)
E2E_BOUNDS: tuple[float, ...] = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
              480.0, 960.0, 1920.0, 7680.0)
_PREFIX_HIT = {"Qwen/Qwen2.5-32B-Instruct": 0.45, "meta-llama/Llama-3.3-70B-Instruct": 0.3,
               "meta-llama/Llama-3.1-8B-Instruct": 0.2}
XID_PER_GPU_PER_S = 1 / (4 * 86_400)       # about one XID event per GPU every four days
_SCOPE = InstrumentationScope("otelcol/prometheusreceiver", "0.139.0")


@dataclass
class _Cumulative:
    counters: dict[tuple, float] = field(default_factory=dict)
    histograms: dict[tuple, list[float]] = field(default_factory=dict)

    def add(self, key: tuple, amount: float) -> float:
        self.counters[key] = self.counters.get(key, 0.0) + amount
        return self.counters[key]

    def observe(self, key: tuple, counts: list[int], total: float) -> list[float]:
        current = self.histograms.setdefault(key, [0.0] * (len(counts) + 1))
        for i, count in enumerate(counts):
            current[i] += count
        current[-1] += total
        return current


class FleetMetrics:
    """Cumulative metric state of the fleet; ``collect`` builds one scrape's worth of data."""

    def __init__(self, fleet: Fleet, rng: random.Random, start: float, xid_per_gpu_per_s: float = XID_PER_GPU_PER_S):
        self.fleet = fleet
        self.rng = rng
        self.xid_per_gpu_per_s = xid_per_gpu_per_s
        self.start_ns = int(start * 1e9)
        self.state = _Cumulative()
        self.points = 0
        self.histogram_points = 0
        self.xid_events: list[dict] = []
        self._resources: dict[str, Resource] = {}

    def collect(self, t: float, interval_s: float, states: dict[str, ReplicaState]) -> MetricsData:
        now_ns = int(t * 1e9)
        resource_metrics = []
        for node in self.fleet.nodes:
            readings = [(r, gpu_reading(r, states[r.pod], self.rng.uniform(-0.05, 0.05))) for r in node.replicas]
            gpu_metrics = self._dcgm(node, readings, interval_s, now_ns) if node.exporter == "dcgm" else \
                self._hw(node, readings, interval_s, now_ns)
            resource_metrics.append(self._resource_metrics(f"gpu:{node.host}", node, gpu_metrics))
            for replica in node.replicas:
                server = self._vllm(replica, states[replica.pod], interval_s, now_ns)
                resource_metrics.append(self._resource_metrics(f"vllm:{replica.pod}", node, server, replica))
        return MetricsData(resource_metrics)

    # -- resources ------------------------------------------------------------------------------

    def _resource_metrics(self, key: str, node: NodeSpec, metrics: list[Metric],
                          replica: ReplicaSpec | None = None) -> ResourceMetrics:
        if key not in self._resources:
            self._resources[key] = Resource({
                "service.name": "vllm" if replica else ("dcgm-exporter" if node.exporter == "dcgm" else
                                                         "otel-gpu-collector"),
                "service.instance.id": f"{replica.pod}:{replica.port}" if replica else f"{node.host}:9400",
                "host.name": node.host,
                "deployment.environment.name": "demo",
                **({"k8s.pod.name": replica.pod, "k8s.namespace.name": "inference"} if replica else {}),
            })
        return ResourceMetrics(self._resources[key], [ScopeMetrics(_SCOPE, metrics, "")], "")

    # -- GPUs -----------------------------------------------------------------------------------

    def _dcgm(self, node: NodeSpec, readings: list[tuple[ReplicaSpec, GpuReading]], interval_s: float,
              now_ns: int) -> list[Metric]:
        series: dict[str, list[NumberDataPoint]] = {}
        sums: dict[str, list[NumberDataPoint]] = {}
        for replica, r in readings:
            labels = {"gpu": str(replica.gpu_index), "UUID": replica.gpu_uuid, "device": f"nvidia{replica.gpu_index}",
                      "modelName": node.gpu.name, "hostname": node.host, "pci_bus_id": _pci(replica.gpu_index),
                      "DCGM_FI_DRIVER_VERSION": "570.172.08"}
            xid = self._xid(replica, interval_s, now_ns)
            gauges = {
                "DCGM_FI_DEV_GPU_UTIL": round(r.utilization * 100), "DCGM_FI_PROF_SM_ACTIVE": r.sm_active,
                "DCGM_FI_PROF_GR_ENGINE_ACTIVE": min(1.0, r.sm_active * 1.08),
                "DCGM_FI_DEV_FB_USED": round(r.memory_used_mib),
                "DCGM_FI_DEV_FB_FREE": round(node.gpu.memory_mib - r.memory_used_mib),
                "DCGM_FI_DEV_POWER_USAGE": round(r.power_w, 3), "DCGM_FI_DEV_GPU_TEMP": round(r.temperature_c),
                "DCGM_FI_DEV_MEMORY_TEMP": round(r.memory_temperature_c), "DCGM_FI_DEV_SM_CLOCK": r.sm_clock_mhz,
                "DCGM_FI_DEV_MEM_CLOCK": r.mem_clock_mhz,
            }
            for name, value in gauges.items():
                series.setdefault(name, []).append(self._point(labels, now_ns, value))
            xid_labels = {**labels, "err_code": str(xid), "err_msg": _XID_MESSAGES.get(xid, "")}
            series.setdefault("DCGM_FI_DEV_XID_ERRORS", []).append(self._point(xid_labels, now_ns, xid))
            key = (node.host, replica.gpu_index)
            counters = {
                "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": self.state.add(key + ("energy",), r.power_w * interval_s * 1e3),
                "DCGM_FI_DEV_THERMAL_VIOLATION": self.state.add(key + ("thermal",), interval_s * 0.7e9 * r.throttled),
                "DCGM_FI_DEV_POWER_VIOLATION": self.state.add(key + ("power",), interval_s * 0.2e9 * r.throttled),
            }
            for name, value in counters.items():
                sums.setdefault(name, []).append(self._point(labels, now_ns, round(value), cumulative=True))
        return self._gauges(series) + self._sums(sums)

    def _hw(self, node: NodeSpec, readings: list[tuple[ReplicaSpec, GpuReading]], interval_s: float,
            now_ns: int) -> list[Metric]:
        series: dict[str, list[NumberDataPoint]] = {}
        sums: dict[str, list[NumberDataPoint]] = {}
        for replica, r in readings:
            labels = {"hw.id": replica.gpu_uuid, "hw.name": node.gpu.name, "hw.vendor": "nvidia", "hw.type": "gpu",
                      "gpu.index": str(replica.gpu_index)}
            mib = 1_048_576
            gauges = {
                "hw.gpu.utilization": r.utilization, "hw.gpu.memory.utilization": r.memory_used_mib / node.gpu.memory_mib,
                "hw.power": round(r.power_w, 3), "hw.temperature": round(r.temperature_c, 1),
                "hw.gpu.clock.graphics": r.sm_clock_mhz, "hw.gpu.throttled": int(r.throttled),
                "hw.gpu.memory.usage": int(r.memory_used_mib * mib), "hw.gpu.memory.limit": node.gpu.memory_mib * mib,
            }
            for name, value in gauges.items():
                series.setdefault(name, []).append(self._point(labels, now_ns, value))
            key = (node.host, replica.gpu_index)
            xid = self._xid(replica, interval_s, now_ns)
            sums.setdefault("hw.energy", []).append(self._point(
                labels, now_ns, round(self.state.add(key + ("energy",), r.power_w * interval_s), 3), cumulative=True))
            sums.setdefault("hw.errors", []).append(self._point(
                {**labels, "error.type": "xid"}, now_ns, int(self.state.add(key + ("xid",), 1 if xid else 0)),
                cumulative=True))
        return self._gauges(series) + self._sums(sums)

    def _xid(self, replica: ReplicaSpec, interval_s: float, now_ns: int) -> int:
        # The draw is made even at a zero rate: switching faults off leaves a fault-free scrape as it was.
        if self.rng.random() >= self.xid_per_gpu_per_s * interval_s:
            return 0
        code = self.rng.choice((13, 31, 43))
        at = datetime.fromtimestamp(now_ns / 1e9, UTC).isoformat().replace("+00:00", "Z")
        self.xid_events.append({"host": replica.host, "gpu": replica.gpu_index, "xid": code, "at": at})
        return code

    # -- vLLM -----------------------------------------------------------------------------------

    def _vllm(self, replica: ReplicaSpec, state: ReplicaState, interval_s: float, now_ns: int) -> list[Metric]:
        labels = {"model_name": replica.model.name, "engine": "0"}
        requests = state.rps * interval_s
        key = (replica.pod,)
        prompt = requests * state.input_mean
        generated = requests * state.output_mean
        preempted = requests * 0.05 * max(0.0, state.kv_usage - 0.9) * 10
        gauges = {"vllm:num_requests_running": round(state.running, 2),
                  "vllm:num_requests_waiting": round(state.waiting, 2),
                  "vllm:kv_cache_usage_perc": round(state.kv_usage, 4)}
        counters = {
            "vllm:prompt_tokens_total": self.state.add(key + ("prompt",), prompt),
            "vllm:generation_tokens_total": self.state.add(key + ("generation",), generated),
            "vllm:prefix_cache_queries_total": self.state.add(key + ("pq",), prompt),
            "vllm:prefix_cache_hits_total": self.state.add(key + ("ph",), prompt * _PREFIX_HIT.get(replica.model.name, 0)),
            "vllm:num_preemptions_total": self.state.add(key + ("pre",), preempted),
        }
        metrics = self._gauges({name: [self._point(labels, now_ns, value)] for name, value in gauges.items()})
        metrics += self._sums({name: [self._point(labels, now_ns, round(value), cumulative=True)]
                               for name, value in counters.items()})
        success = [self._point({**labels, "finished_reason": reason}, now_ns,
                               round(self.state.add(key + (reason,), requests * share)), cumulative=True)
                   for reason, share in (("stop", 0.96), ("length", 0.04))]
        metrics += self._sums({"vllm:request_success_total": success})
        ttft = state.queue_s + state.input_mean / state.prefill_tps + 0.012
        e2e = ttft + state.output_mean * state.tpot_s
        histograms = [("vllm:e2e_request_latency_seconds", E2E_BOUNDS, e2e, 0.6, requests)]
        if not replica.model.embedding:
            histograms += [("vllm:time_to_first_token_seconds", TTFT_BOUNDS, ttft, 0.5, requests),
                           ("vllm:inter_token_latency_seconds", ITL_BOUNDS, state.tpot_s, 0.25, generated)]
        for name, bounds, median, sigma, count in histograms:
            metrics.append(self._histogram(name, key, labels, now_ns, bounds, median, sigma, count))
        return metrics

    def _histogram(self, name: str, key: tuple, labels: dict, now_ns: int, bounds: tuple[float, ...],
                   median: float, sigma: float, count: float) -> Metric:
        expected = _lognormal_buckets(bounds, max(median, 1e-6), sigma, count)
        counts = [math.floor(x) + (self.rng.random() < x - math.floor(x)) for x in expected]
        total = sum(c * _bucket_mid(bounds, i, median) for i, c in enumerate(counts))
        cumulative = self.state.observe(key + (name,), counts, total)
        self.histogram_points += 1
        point = HistogramDataPoint(labels, self.start_ns, now_ns, int(sum(cumulative[:-1])), cumulative[-1],
                                   [int(c) for c in cumulative[:-1]], list(bounds),
                                   None, None)  # type: ignore[arg-type]  # a Prometheus scrape has no min/max
        return Metric(name, "", "s", Histogram([point], AggregationTemporality.CUMULATIVE))

    # -- helpers --------------------------------------------------------------------------------

    def _point(self, labels: dict, now_ns: int, value: float, cumulative: bool = False) -> NumberDataPoint:
        self.points += 1
        return NumberDataPoint(labels, self.start_ns if cumulative else 0, now_ns, value)

    @staticmethod
    def _gauges(series: dict[str, list[NumberDataPoint]]) -> list[Metric]:
        return [Metric(name, "", "", Gauge(points)) for name, points in series.items()]

    @staticmethod
    def _sums(series: dict[str, list[NumberDataPoint]]) -> list[Metric]:
        return [Metric(name, "", "", Sum(points, AggregationTemporality.CUMULATIVE, True))
                for name, points in series.items()]


def merge_metrics(scrapes: list[MetricsData]) -> MetricsData:
    """Several scrapes as one request: one entry per resource and metric, holding every scrape's points.

    (The SDK's encoder keys resources by identity, so a resource listed twice would keep only one.)
    """
    merged: dict[int, tuple[Resource, dict[str, tuple[Metric, list]]]] = {}
    for scrape in scrapes:
        for resource_metrics in scrape.resource_metrics:
            _, metrics = merged.setdefault(id(resource_metrics.resource), (resource_metrics.resource, {}))
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    metrics.setdefault(metric.name, (metric, []))[1].extend(metric.data.data_points)
    return MetricsData([
        ResourceMetrics(resource, [ScopeMetrics(_SCOPE, [_with_points(m, points) for m, points in metrics.values()], "")], "")
        for resource, metrics in merged.values()])


def _with_points(metric: Metric, points: list) -> Metric:
    data = metric.data
    if isinstance(data, Gauge):
        return Metric(metric.name, metric.description, metric.unit, Gauge(points))
    if isinstance(data, Sum):
        return Metric(metric.name, metric.description, metric.unit,
                      Sum(points, data.aggregation_temporality, data.is_monotonic))
    return Metric(metric.name, metric.description, metric.unit, Histogram(points, AggregationTemporality.CUMULATIVE))


_XID_MESSAGES = {13: "Graphics Engine Exception", 31: "GPU memory page fault", 43: "GPU stopped processing"}


def _pci(index: int) -> str:
    return f"00000000:{0x18 + index * 0x1A:02X}:00.0"


def _lognormal_buckets(bounds: tuple[float, ...], median: float, sigma: float, count: float) -> list[float]:
    """Expected counts per bucket (the last is +Inf) of ``count`` lognormal observations."""
    cdf = [0.5 * (1 + math.erf(math.log(b / median) / (sigma * math.sqrt(2)))) for b in bounds] + [1.0]
    return [count * (cdf[i] - (cdf[i - 1] if i else 0.0)) for i in range(len(cdf))]


def _bucket_mid(bounds: tuple[float, ...], index: int, median: float) -> float:
    if index == 0:
        return bounds[0] / 2
    if index >= len(bounds):
        return max(bounds[-1], median) * 1.5
    return (bounds[index - 1] + bounds[index]) / 2
