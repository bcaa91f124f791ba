"""The simulated fleet: tenants, agent services, hosted and self-hosted models, GPU nodes.

Plain frozen data. The numbers are chosen to look like a mid-sized production deployment:
hosted API models from three providers beside vLLM replicas (one per GPU) on four GPU node
types, and four agent services whose flows exercise every GenAI span kind.
"""

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelSpec:
    name: str                  # gen_ai.request.model
    response_name: str         # gen_ai.response.model (the versioned snapshot)
    provider: str              # gen_ai.provider.name (current convention)
    hosted: bool               # an API model, or served by our vLLM replicas
    ttft_s: float = 0.4        # hosted: median time to first token for a short prompt
    tpot_s: float = 0.01       # hosted: median time per output token
    reasoning: bool = False    # reports reasoning tokens inside output tokens
    cache: str = ""            # "openai" (automatic), "anthropic" (explicit), "gemini" (implicit), ""
    embedding: bool = False
    error_type: str = "server_error"  # what this provider reports when it fails


@dataclass(frozen=True)
class GpuType:
    name: str                  # DCGM modelName / hw.model
    memory_mib: int
    tdp_w: float
    idle_w: float
    sm_clock_mhz: int
    mem_clock_mhz: int
    speed: float               # relative prefill/decode speed (H100 = 1)


@dataclass(frozen=True)
class ReplicaSpec:
    """One vLLM server on one GPU."""

    host: str
    gpu_index: int
    gpu_uuid: str
    gpu: GpuType
    model: ModelSpec
    port: int
    pod: str
    weights_mib: int
    kv_capacity_tokens: int
    prefill_tps: float         # prompt tokens per second at batch 1
    tpot_s: float              # decode time per token at batch 1
    batch_knee: float          # concurrency at which decode slows down by half again


@dataclass(frozen=True)
class NodeSpec:
    host: str
    gpu: GpuType
    exporter: str              # "dcgm" (dcgm-exporter via a Collector) or "hw" (OTel hw.gpu.* collector)
    replicas: tuple[ReplicaSpec, ...]


@dataclass(frozen=True)
class Tenant:
    id: str
    weight: float
    users: int
    plan: str


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    team: str
    feature: str
    endpoint: str
    agent: str
    flow: str                  # which flow in workload.py builds its traces
    rps: float                 # real requests per second at the average of the load shape
    models: dict[str, str] = field(default_factory=dict)   # step → model name
    tools: tuple[str, ...] = ()
    data_source: str = ""
    prompt: str = ""
    version: str = "1.0.0"


H100 = GpuType("NVIDIA H100 80GB HBM3", 81559, 700.0, 72.0, 1980, 2619, 1.0)
H200 = GpuType("NVIDIA H200", 143771, 700.0, 78.0, 1980, 3201, 1.15)
A100 = GpuType("NVIDIA A100-SXM4-80GB", 81920, 400.0, 56.0, 1410, 1593, 0.55)
L4 = GpuType("NVIDIA L4", 23034, 72.0, 16.0, 2040, 6251, 0.18)

MODELS: dict[str, ModelSpec] = {m.name: m for m in (
    ModelSpec("gpt-4o", "gpt-4o-2024-08-06", "openai", True, 0.45, 0.012, cache="openai",
              error_type="RateLimitError"),
    ModelSpec("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", True, 0.3, 0.008, cache="openai",
              error_type="RateLimitError"),
    ModelSpec("o3-mini", "o3-mini-2025-01-31", "openai", True, 1.8, 0.009, reasoning=True, cache="openai",
              error_type="RateLimitError"),
    ModelSpec("text-embedding-3-small", "text-embedding-3-small", "openai", True, 0.08, 0.0, embedding=True,
              error_type="RateLimitError"),
    ModelSpec("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic", True, 0.9, 0.015,
              cache="anthropic", error_type="overloaded_error"),
    ModelSpec("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022", "anthropic", True, 0.5, 0.009,
              cache="anthropic", error_type="overloaded_error"),
    ModelSpec("gemini-2.5-flash", "gemini-2.5-flash", "gcp.gemini", True, 0.35, 0.006, reasoning=True,
              cache="gemini", error_type="RESOURCE_EXHAUSTED"),
    ModelSpec("meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.3-70B-Instruct", "vllm", False,
              error_type="EngineDeadError"),
    ModelSpec("Qwen/Qwen2.5-32B-Instruct", "Qwen/Qwen2.5-32B-Instruct", "vllm", False,
              error_type="EngineDeadError"),
    ModelSpec("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "vllm", False,
              error_type="EngineDeadError"),
    ModelSpec("BAAI/bge-large-en-v1.5", "BAAI/bge-large-en-v1.5", "vllm", False, embedding=True,
              error_type="EngineDeadError"),
)}

TENANTS: tuple[Tenant, ...] = (
    Tenant("acme-corp", 0.30, 180, "enterprise"),
    Tenant("globex", 0.20, 120, "enterprise"),
    Tenant("initech", 0.15, 60, "business"),
    Tenant("umbrella", 0.12, 45, "business"),
    Tenant("hooli", 0.13, 90, "business"),
    Tenant("stark-industries", 0.10, 25, "starter"),
)

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("support-agent", "customer-support", "support-chat", "/v1/support/chat", "support-agent",
                "support", 6.0,
                {"plan": "claude-sonnet-4-5", "embed": "BAAI/bge-large-en-v1.5",
                 "answer": "Qwen/Qwen2.5-32B-Instruct", "fallback": "gpt-4o"},
                ("lookup_order", "get_refund_policy", "create_ticket"), "kb-support", "support-answer"),
    ServiceSpec("search-assistant", "search", "answer-engine", "/v1/search/answer", "answer-engine",
                "search", 8.0,
                {"embed": "text-embedding-3-small", "answer": "meta-llama/Llama-3.3-70B-Instruct",
                 "fallback": "gpt-4o-mini"},
                (), "docs-index", "search-answer"),
    ServiceSpec("code-review-bot", "developer-platform", "code-review", "/v1/review", "code-reviewer",
                "review", 1.5,
                {"plan": "o3-mini", "answer": "claude-sonnet-4-5", "summary": "gemini-2.5-flash",
                 "fallback": "gpt-4o"},
                ("fetch_diff", "run_linter", "search_code"), "", "review-comments"),
    ServiceSpec("sales-copilot", "sales", "email-drafts", "/v1/sales/draft", "sales-copilot",
                "sales", 2.5,
                {"answer": "gpt-4o", "summary": "meta-llama/Llama-3.1-8B-Instruct",
                 "fallback": "claude-3-5-haiku-latest"},
                ("crm_lookup",), "", "sales-email"),
)

TOOLS: dict[str, tuple[float, float]] = {   # median seconds, baseline failure probability
    "lookup_order": (0.18, 0.01),
    "get_refund_policy": (0.05, 0.002),
    "create_ticket": (0.35, 0.02),
    "fetch_diff": (0.4, 0.01),
    "run_linter": (2.2, 0.03),
    "search_code": (0.6, 0.01),
    "crm_lookup": (0.25, 0.015),
}

GUARDRAILS: dict[str, tuple[str, str, str]] = {   # policy → (component, phase, starting version)
    "prompt-injection": ("prompt-shield", "input", "2026.11.1"),
    "pii-redaction": ("pii-filter", "output", "2026.10.3"),
    "toxicity": ("toxicity-classifier", "output", "2026.09.2"),
}

# Node layout: (host prefix, GPU type, GPU count, exporter, served model).
_NODES = (
    ("gpu-h100", H100, 4, "dcgm", "Qwen/Qwen2.5-32B-Instruct"),
    ("gpu-h200", H200, 4, "dcgm", "meta-llama/Llama-3.3-70B-Instruct"),
    ("gpu-a100", A100, 2, "hw", "meta-llama/Llama-3.1-8B-Instruct"),
    ("gpu-l4", L4, 2, "hw", "BAAI/bge-large-en-v1.5"),
)
_WEIGHTS_MIB = {"Qwen/Qwen2.5-32B-Instruct": 34_000, "meta-llama/Llama-3.3-70B-Instruct": 72_000,
                "meta-llama/Llama-3.1-8B-Instruct": 16_400, "BAAI/bge-large-en-v1.5": 1_300}
_KV_BYTES_PER_TOKEN = {"Qwen/Qwen2.5-32B-Instruct": 262_144, "meta-llama/Llama-3.3-70B-Instruct": 327_680,
                       "meta-llama/Llama-3.1-8B-Instruct": 131_072, "BAAI/bge-large-en-v1.5": 98_304}
_MODEL_COST = {"Qwen/Qwen2.5-32B-Instruct": 0.45, "meta-llama/Llama-3.3-70B-Instruct": 1.0,
               "meta-llama/Llama-3.1-8B-Instruct": 0.12, "BAAI/bge-large-en-v1.5": 0.02}


@dataclass(frozen=True)
class Fleet:
    nodes: tuple[NodeSpec, ...]
    tenants: tuple[Tenant, ...] = TENANTS
    services: tuple[ServiceSpec, ...] = SERVICES

    @property
    def replicas(self) -> tuple[ReplicaSpec, ...]:
        return tuple(r for node in self.nodes for r in node.replicas)

    def replicas_for(self, model: str) -> tuple[ReplicaSpec, ...]:
        return tuple(r for r in self.replicas if r.model.name == model)

    def summary(self) -> dict:
        return {
            "nodes": [{"host": n.host, "gpu": n.gpu.name, "gpus": len(n.replicas), "exporter": n.exporter,
                       "model": n.replicas[0].model.name} for n in self.nodes],
            "tenants": [t.id for t in self.tenants],
            "services": [s.name for s in self.services],
            "hosted_models": sorted(m.name for m in MODELS.values() if m.hosted),
        }


def build_fleet(size: int = 1) -> Fleet:
    """The default fleet, with ``size`` copies of each GPU node (real load scales with it)."""
    nodes = []
    for copy in range(1, size + 1):
        for prefix, gpu, count, exporter, model_name in _NODES:
            host = f"{prefix}-{copy:02d}"
            replicas = tuple(_replica(host, index, gpu, MODELS[model_name]) for index in range(count))
            nodes.append(NodeSpec(host, gpu, exporter, replicas))
    return Fleet(tuple(nodes))


def _replica(host: str, index: int, gpu: GpuType, model: ModelSpec) -> ReplicaSpec:
    weights = _WEIGHTS_MIB[model.name]
    # vLLM pre-allocates 90% of the GPU; what the weights leave is the KV cache.
    kv_mib = int(gpu.memory_mib * 0.9) - weights
    kv_tokens = kv_mib * 1_048_576 // _KV_BYTES_PER_TOKEN[model.name]
    cost = _MODEL_COST[model.name]
    short = model.name.split("/")[-1].lower()
    return ReplicaSpec(
        host=host, gpu_index=index, gpu_uuid=_uuid(host, index), gpu=gpu, model=model, port=8000 + index,
        pod=f"vllm-{short}-{host}-{index}", weights_mib=weights, kv_capacity_tokens=kv_tokens,
        prefill_tps=12_000 * gpu.speed / cost, tpot_s=0.018 * cost / gpu.speed + 0.004,
        batch_knee=48 * gpu.speed / cost,
    )


def _uuid(host: str, index: int) -> str:
    # Stable, UUID-shaped GPU ids, as nvidia-smi prints them.
    digest = hashlib.sha256(f"{host}/{index}".encode()).hexdigest()
    return f"GPU-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
