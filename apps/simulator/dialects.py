"""How each instrumentation dialect writes the same operation as span attributes.

Real fleets mix instrumentations: current OTel GenAI, its deprecated names (≤ 1.36), OpenInference
(Arize / Phoenix) and OpenLLMetry (Traceloop). Each function returns ``(span name, attributes)``
for one dialect; the ingest normaliser must map all of them onto the same typed columns.
"""

import json
from dataclasses import dataclass

CURRENT = "otel_genai"
DEPRECATED = "otel_genai_deprecated"
OPENINFERENCE = "openinference"
OPENLLMETRY = "openllmetry"
LEGACY = (DEPRECATED, OPENINFERENCE, OPENLLMETRY)

# Instrumentation scope (tracer name) per dialect, as the real libraries name theirs.
SCOPES = {
    CURRENT: "opentelemetry.instrumentation.genai",
    DEPRECATED: "opentelemetry.instrumentation.openai_v2",
    OPENINFERENCE: "openinference.instrumentation.langchain",
    OPENLLMETRY: "opentelemetry.instrumentation.langchain",
}

# Old gen_ai.system values, and how OpenInference and Traceloop spell providers.
_OLD_SYSTEM = {"gcp.gemini": "gemini", "gcp.vertex_ai": "vertex_ai"}
_OI_SYSTEM = {"openai": "openai", "anthropic": "anthropic", "gcp.gemini": "vertexai", "vllm": "vllm"}
_TRACELOOP_SYSTEM = {"openai": "OpenAI", "anthropic": "Anthropic", "gcp.gemini": "Gemini", "vllm": "vLLM"}


@dataclass(frozen=True)
class LlmCall:
    operation: str             # chat | embeddings
    provider: str              # current gen_ai.provider.name
    request_model: str
    response_model: str
    input_tokens: int          # all input, cached included (the current convention)
    output_tokens: int         # all output, reasoning included
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    ttft_s: float = 0.0        # streamed calls only
    finish_reason: str = "stop"
    error_type: str = ""
    server_address: str = ""
    server_port: int = 443
    gpu_id: str = ""
    response_id: str = ""
    max_tokens: int = 1024
    temperature: float = 0.2
    retry: int = 0             # http.request.resend_count
    prompt: str = ""
    prompt_version: int = 0


def llm(dialect: str, call: LlmCall) -> tuple[str, dict]:
    attributes = _transport(call)
    if dialect == OPENINFERENCE:
        return _openinference_llm(call, attributes)
    if dialect == OPENLLMETRY:
        return _openllmetry_llm(call, attributes)
    if dialect == DEPRECATED:
        return _deprecated_llm(call, attributes)
    return _current_llm(call, attributes)


def _transport(call: LlmCall) -> dict:
    attributes: dict = {"server.address": call.server_address, "server.port": call.server_port}
    if call.gpu_id:
        attributes["gpu.id"] = call.gpu_id
    if call.retry:
        attributes["http.request.resend_count"] = call.retry
    if call.error_type:
        attributes["error.type"] = call.error_type
    if call.prompt:
        attributes.update({"gen_ai.prompt.name": call.prompt, "gen_ai.prompt.version": str(call.prompt_version)})
    return attributes


def _current_llm(call: LlmCall, attributes: dict) -> tuple[str, dict]:
    attributes.update({
        "gen_ai.operation.name": call.operation,
        "gen_ai.provider.name": call.provider,
        "gen_ai.request.model": call.request_model,
    })
    if call.error_type:
        return f"{call.operation} {call.request_model}", attributes
    attributes.update({
        "gen_ai.response.model": call.response_model,
        "gen_ai.usage.input_tokens": call.input_tokens,
        "gen_ai.response.id": call.response_id,
    })
    if call.operation == "chat":
        attributes.update({
            "gen_ai.usage.output_tokens": call.output_tokens,
            "gen_ai.request.max_tokens": call.max_tokens,
            "gen_ai.request.temperature": call.temperature,
            "gen_ai.response.finish_reasons": (call.finish_reason,),
            "gen_ai.request.stream": call.ttft_s > 0,
        })
    _put_nonzero(attributes, {
        "gen_ai.usage.cache_read.input_tokens": call.cache_read,
        "gen_ai.usage.cache_creation.input_tokens": call.cache_write,
        "gen_ai.usage.reasoning.output_tokens": call.reasoning,
        "gen_ai.response.time_to_first_chunk": round(call.ttft_s, 6),
    })
    return f"{call.operation} {call.request_model}", attributes


def _deprecated_llm(call: LlmCall, attributes: dict) -> tuple[str, dict]:
    attributes.update({
        "gen_ai.operation.name": call.operation,
        "gen_ai.system": _OLD_SYSTEM.get(call.provider, call.provider),
        "gen_ai.request.model": call.request_model,
    })
    if call.error_type:
        return f"{call.operation} {call.request_model}", attributes
    attributes.update({
        "gen_ai.response.model": call.response_model,
        "gen_ai.usage.prompt_tokens": _legacy_prompt_tokens(call),
        "gen_ai.usage.completion_tokens": call.output_tokens,
        "gen_ai.response.finish_reasons": (call.finish_reason,),
        "gen_ai.openai.request.seed": 42,
    })
    _put_nonzero(attributes, {"gen_ai.usage.cache_read_input_tokens": call.cache_read,
                              "gen_ai.usage.cache_creation_input_tokens": call.cache_write})
    return f"{call.operation} {call.request_model}", attributes


def _openinference_llm(call: LlmCall, attributes: dict) -> tuple[str, dict]:
    kind = "EMBEDDING" if call.operation == "embeddings" else "LLM"
    attributes.update({
        "openinference.span.kind": kind,
        "llm.system": _OI_SYSTEM.get(call.provider, call.provider),
        "llm.model_name": call.response_model if not call.error_type else call.request_model,
        "llm.invocation_parameters": json.dumps({"model": call.request_model, "temperature": call.temperature,
                                                 "max_tokens": call.max_tokens}),
    })
    if call.error_type:
        return _oi_name(call), attributes
    attributes.update({
        "llm.token_count.prompt": call.input_tokens,
        "llm.token_count.completion": call.output_tokens,
        "llm.token_count.total": call.input_tokens + call.output_tokens,
    })
    _put_nonzero(attributes, {"llm.token_count.prompt_details.cache_read": call.cache_read,
                              "llm.token_count.prompt_details.cache_write": call.cache_write,
                              "llm.token_count.completion_details.reasoning": call.reasoning})
    if call.operation == "chat":
        attributes["llm.finish_reason"] = call.finish_reason
    return _oi_name(call), attributes


def _oi_name(call: LlmCall) -> str:
    if call.operation == "embeddings":
        return "Embeddings"
    return {"openai": "ChatOpenAI", "anthropic": "ChatAnthropic", "gcp.gemini": "ChatVertexAI"}.get(
        call.provider, "VLLMOpenAI")


def _openllmetry_llm(call: LlmCall, attributes: dict) -> tuple[str, dict]:
    request_type = "embedding" if call.operation == "embeddings" else "chat"
    system = _TRACELOOP_SYSTEM.get(call.provider, call.provider)
    attributes.update({
        "llm.request.type": request_type,
        "gen_ai.system": system,
        "gen_ai.request.model": call.request_model,
        "llm.is_streaming": call.ttft_s > 0,
    })
    name = f"{system.lower()}.{request_type}"
    if call.error_type:
        return name, attributes
    attributes.update({
        "gen_ai.response.model": call.response_model,
        "gen_ai.usage.prompt_tokens": _legacy_prompt_tokens(call),
        "gen_ai.usage.completion_tokens": call.output_tokens,
        "llm.usage.total_tokens": call.input_tokens + call.output_tokens,
    })
    _put_nonzero(attributes, {"gen_ai.usage.cache_read_input_tokens": call.cache_read,
                              "gen_ai.usage.cache_creation_input_tokens": call.cache_write,
                              "llm.usage.reasoning_tokens": call.reasoning})
    return name, attributes


def _legacy_prompt_tokens(call: LlmCall) -> int:
    # Anthropic's SDK (and instrumentations on the old names) report input without the cached part.
    if call.provider == "anthropic":
        return call.input_tokens - call.cache_read - call.cache_write
    return call.input_tokens


def _put_nonzero(attributes: dict, values: dict) -> None:
    attributes.update({k: v for k, v in values.items() if v})


def agent(dialect: str, name: str, description: str) -> tuple[str, dict]:
    if dialect == OPENINFERENCE:
        return name, {"openinference.span.kind": "AGENT", "agent.name": name}
    if dialect == OPENLLMETRY:
        return f"{name}.agent", {"traceloop.span.kind": "agent", "traceloop.entity.name": name}
    return f"invoke_agent {name}", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name,
                                    "gen_ai.agent.description": description}


def tool(dialect: str, name: str, call_id: str, error_type: str) -> tuple[str, dict]:
    extra = {"error.type": error_type} if error_type else {}
    if dialect == OPENINFERENCE:
        return name, {"openinference.span.kind": "TOOL", "tool.name": name, **extra}
    if dialect == OPENLLMETRY:
        return f"{name}.tool", {"traceloop.span.kind": "tool", "traceloop.entity.name": name, **extra}
    return f"execute_tool {name}", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                                    "gen_ai.tool.call.id": call_id, "gen_ai.tool.type": "function", **extra}


def retrieval(dialect: str, data_source: str, documents: int) -> tuple[str, dict]:
    if dialect == OPENINFERENCE:
        return "VectorStoreRetriever", {"openinference.span.kind": "RETRIEVER",
                                        "retrieval.documents.count": documents}
    if dialect == OPENLLMETRY:
        return f"{data_source}.retrieve", {"traceloop.span.kind": "task", "traceloop.entity.name": data_source,
                                           "db.system.name": "qdrant"}
    return f"retrieval {data_source}", {"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": data_source,
                                        "db.system.name": "qdrant", "retrieval.documents.count": documents}


@dataclass(frozen=True)
class GuardrailCheck:
    component: str
    policy_id: str
    policy_version: str
    rule_id: str
    phase: str                 # input | output
    verdict: str               # allow | modify | deny
    action: str                # allow | modify | block
    risk_category: str
    risk_score: float
    content_hash: str
    reason: str


def guardrail(dialect: str, check: GuardrailCheck) -> tuple[str, dict]:
    if dialect in (OPENINFERENCE, OPENLLMETRY):
        # OpenInference marks the span kind; OpenLIT-style guard.* attributes carry the decision.
        return f"guard {check.component}", {
            "openinference.span.kind": "GUARDRAIL", "guard.validator": check.component,
            "guard.policy.id": check.policy_id, "guardrail.policy.version": check.policy_version,
            "guard.phase": check.phase, "guard.verdict": check.verdict, "guard.action": check.action,
            "guard.score": check.risk_score, "guard.classification": check.reason,
        }
    return f"run_guardrail {check.component}", {key: value for key, value in {
        "gen_ai.operation.name": "run_guardrail",
        "gen_ai.guardrail.component.name": check.component,
        "gen_ai.guardrail.security.policy.id": check.policy_id,
        "gen_ai.guardrail.security.policy.version": check.policy_version,
        "gen_ai.guardrail.security.policy.rule.id": check.rule_id,
        "gen_ai.guardrail.target.type": check.phase,
        "gen_ai.guardrail.target.subtype": "llm",
        "gen_ai.guardrail.verdict.type": check.verdict,
        "gen_ai.guardrail.verdict.reason": check.reason,
        "gen_ai.guardrail.action.type": check.action,
        "gen_ai.guardrail.security.risk.category": check.risk_category,
        "gen_ai.guardrail.security.risk.score": check.risk_score,
        "gen_ai.guardrail.security.content.input.hash": check.content_hash,
    }.items() if value != ""}
