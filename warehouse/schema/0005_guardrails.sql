-- Guardrail decisions derived from the telemetry: run_guardrail spans (OTel GenAI), OpenInference
-- GUARDRAIL spans, OpenLIT guard.* attributes, and guardrail finding events on any span.
CREATE TABLE IF NOT EXISTS guardrail_decisions {{on_cluster}} (
    project_id UInt64,
    timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    trace_id FixedString(16),
    span_id FixedString(8),
    source LowCardinality(String),
    service_name LowCardinality(String),
    tenant LowCardinality(String),
    user_id String,
    component_name LowCardinality(String),
    policy_id LowCardinality(String),
    policy_version LowCardinality(String),
    rule_id LowCardinality(String),
    phase LowCardinality(String),
    target_subtype LowCardinality(String),
    verdict LowCardinality(String),
    action LowCardinality(String),
    reason LowCardinality(String),
    risk_category LowCardinality(String),
    risk_score Float64,
    content_hash String,
    latency_ns UInt64,
    model LowCardinality(String),
    attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ingested_at DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (project_id, toStartOfHour(timestamp), policy_id, verdict, timestamp)
TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay({{retention_days:guardrails}})
SETTINGS ttl_only_drop_parts = 1;

CREATE FUNCTION IF NOT EXISTS inferops_guard_verdict {{on_cluster}} AS (gv_a) -> lower(multiIf(gv_a['gen_ai.guardrail.verdict.type'] != '', gv_a['gen_ai.guardrail.verdict.type'], gv_a['guard.verdict'] != '', gv_a['guard.verdict'], gv_a['guardrail.verdict']));

CREATE MATERIALIZED VIEW IF NOT EXISTS guardrail_spans_mv {{on_cluster}} TO guardrail_decisions AS
SELECT
    project_id,
    timestamp,
    trace_id,
    span_id,
    'span' AS source,
    service_name,
    tenant,
    multiIf(span_attributes['user.id'] != '', span_attributes['user.id'], span_attributes['enduser.id'] != '', span_attributes['enduser.id'], span_attributes['gen_ai.user.id']) AS user_id,
    multiIf(span_attributes['gen_ai.guardrail.component.name'] != '', span_attributes['gen_ai.guardrail.component.name'], span_attributes['guard.validator'] != '', span_attributes['guard.validator'], span_attributes['guardrail.name']) AS component_name,
    multiIf(span_attributes['gen_ai.guardrail.security.policy.id'] != '', span_attributes['gen_ai.guardrail.security.policy.id'], span_attributes['guard.policy.id'] != '', span_attributes['guard.policy.id'], span_attributes['guardrail.policy.id']) AS policy_id,
    multiIf(span_attributes['gen_ai.guardrail.security.policy.version'] != '', span_attributes['gen_ai.guardrail.security.policy.version'], span_attributes['inferops.policy.version'] != '', span_attributes['inferops.policy.version'], span_attributes['guardrail.policy.version']) AS policy_version,
    span_attributes['gen_ai.guardrail.security.policy.rule.id'] AS rule_id,
    lower(multiIf(span_attributes['gen_ai.guardrail.target.type'] != '', span_attributes['gen_ai.guardrail.target.type'], span_attributes['guard.phase'])) AS phase,
    span_attributes['gen_ai.guardrail.target.subtype'] AS target_subtype,
    inferops_guard_verdict(span_attributes) AS verdict,
    lower(multiIf(span_attributes['gen_ai.guardrail.action.type'] != '', span_attributes['gen_ai.guardrail.action.type'], span_attributes['guard.action'])) AS action,
    multiIf(span_attributes['gen_ai.guardrail.verdict.reason'] != '', span_attributes['gen_ai.guardrail.verdict.reason'], span_attributes['guard.classification']) AS reason,
    span_attributes['gen_ai.guardrail.security.risk.category'] AS risk_category,
    toFloat64OrZero(multiIf(span_attributes['gen_ai.guardrail.security.risk.score'] != '', span_attributes['gen_ai.guardrail.security.risk.score'], span_attributes['guard.score'])) AS risk_score,
    span_attributes['gen_ai.guardrail.security.content.input.hash'] AS content_hash,
    duration_ns AS latency_ns,
    if(response_model != '', response_model, request_model) AS model,
    mapFilter((k, v) -> startsWith(k, 'gen_ai.guardrail.') OR startsWith(k, 'guard.'), span_attributes) AS attributes
FROM spans
-- The spans view already marks any span carrying guardrail attributes as run_guardrail.
WHERE operation = 'run_guardrail';

CREATE MATERIALIZED VIEW IF NOT EXISTS guardrail_events_mv {{on_cluster}} TO guardrail_decisions AS
SELECT
    project_id,
    ev.1 AS timestamp,
    trace_id,
    span_id,
    'event' AS source,
    service_name,
    tenant,
    multiIf(span_attributes['user.id'] != '', span_attributes['user.id'], span_attributes['enduser.id'] != '', span_attributes['enduser.id'], span_attributes['gen_ai.user.id']) AS user_id,
    ev.3['gen_ai.guardrail.component.name'] AS component_name,
    ev.3['gen_ai.guardrail.security.policy.id'] AS policy_id,
    ev.3['gen_ai.guardrail.security.policy.version'] AS policy_version,
    ev.3['gen_ai.guardrail.security.policy.rule.id'] AS rule_id,
    lower(ev.3['gen_ai.guardrail.target.type']) AS phase,
    ev.3['gen_ai.guardrail.target.subtype'] AS target_subtype,
    inferops_guard_verdict(ev.3) AS verdict,
    lower(ev.3['gen_ai.guardrail.action.type']) AS action,
    ev.3['gen_ai.guardrail.verdict.reason'] AS reason,
    ev.3['gen_ai.guardrail.security.risk.category'] AS risk_category,
    toFloat64OrZero(ev.3['gen_ai.guardrail.security.risk.score']) AS risk_score,
    ev.3['gen_ai.guardrail.security.content.input.hash'] AS content_hash,
    0 AS latency_ns,
    if(response_model != '', response_model, request_model) AS model,
    ev.3 AS attributes
FROM (
    -- Most spans have no events: filter before the ARRAY JOIN so they cost one cheap check.
    SELECT * FROM spans
    WHERE operation != 'run_guardrail' AND notEmpty(`events.name`)
)
ARRAY JOIN arrayZip(`events.timestamp`, `events.name`, `events.attributes`) AS ev
WHERE ev.2 = 'gen_ai.guardrail.security.finding' OR inferops_guard_verdict(ev.3) != '';
