"""What an SLO measures: the service level indicator kinds, their scopes and the latency thresholds.

Latency thresholds are the bounds the per-minute rollups count against
(``inferops_latency_bounds_ms()`` in warehouse/schema/0008_latency_buckets.sql; a test keeps
the two lists equal), so every latency SLI is read from the rollups, never from raw spans.
"""

LATENCY_BOUNDS_MS = (25, 50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000,
                     7500, 10000, 15000, 20000, 30000, 60000, 120000)

AVAILABILITY = "availability"
LATENCY = "latency"            # end-to-end duration ≤ threshold
TTFT = "ttft"                  # time to first token ≤ threshold (streamed calls)
TPOT = "tpot"                  # time per output token ≤ threshold (streamed calls)
GUARDRAIL_BLOCK = "guardrail_block"   # decisions that did not block
KINDS = (AVAILABILITY, LATENCY, TTFT, TPOT, GUARDRAIL_BLOCK)
THRESHOLD_KINDS = (LATENCY, TTFT, TPOT)

REQUESTS = "requests"          # end-user requests: root spans
LLM_CALLS = "llm_calls"        # model calls
TARGETS = (REQUESTS, LLM_CALLS)
LLM_OPERATIONS = ("chat", "text_completion", "generate_content")

FILTER_KEYS = ("services", "endpoints", "models", "providers", "tenants", "policies", "attributes")
# Attribute filters ("key = value", "key != value", "key contains value"): the rollups keep no
# attributes, so SLOs scoped by them count their events from the spans themselves.
MAX_ATTRIBUTE_FILTERS = 10


def bucket_index(threshold_ms: int) -> int:
    """1-based index of a threshold in the rollup arrays (ClickHouse arrays start at 1)."""
    return LATENCY_BOUNDS_MS.index(threshold_ms) + 1
