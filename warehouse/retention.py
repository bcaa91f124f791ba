"""TTL per data class. Each table names the class whose retention it follows and its time expression.

Rows live for the retention period after the later of their event time and their arrival, so that
late or back-filled data is kept for the full period instead of expiring on insert.
"""

RETENTION_TABLES: dict[str, tuple[str, str]] = {
    "spans": ("traces", "greatest(toDateTime(timestamp), ingested_at)"),
    "trace_summaries": ("traces", "greatest(toDateTime(start), ingested_at)"),
    "metric_points": ("metrics", "greatest(toDateTime(timestamp), ingested_at)"),
    "metric_histograms": ("metrics", "greatest(toDateTime(timestamp), ingested_at)"),
    "logs": ("logs", "greatest(toDateTime(timestamp), ingested_at)"),
    "guardrail_decisions": ("guardrails", "greatest(toDateTime(timestamp), ingested_at)"),
    "span_rollup_1m": ("rollups", "greatest(minute, ingested_at)"),
    "span_rollup_1h_dims": ("rollups", "greatest(hour, ingested_at)"),
    "span_rollup_3h_dims": ("rollups", "greatest(hour, ingested_at)"),
    "span_rollup_6h_dims": ("rollups", "greatest(hour, ingested_at)"),
    "ingest_accounting": ("rollups", "minute"),
    "slo_evaluations": ("rollups", "greatest(minute, ingested_at)"),
    "slo_minutes": ("rollups", "greatest(minute, ingested_at)"),
    "cost_ledger": ("cost", "toDateTime(timestamp)"),
    "cost_hourly": ("cost", "hour"),
    "cost_daily": ("cost", "day"),
    "cost_daily_dims": ("cost", "day"),
    "cost_monthly": ("cost", "month"),
    "decision_ledger": ("audit", "toDateTime(chained_until)"),
}
# Bookkeeping, not data: never expires. rollup_seals says how far the coarse rollups are sealed; were
# it to expire, sealing would start over and count every hour twice.
STATE_TABLES = frozenset({"rollup_seals"})


def ttl_clause(table: str, retention_days: dict[str, int]) -> str:
    data_class, time_expr = RETENTION_TABLES[table]
    return f"TTL {time_expr} + toIntervalDay({int(retention_days[data_class])})"


def retention_statements(retention_days: dict[str, int]) -> dict[str, str]:
    """Per table, the ALTER that sets its TTL from the current settings (a metadata-only change)."""
    return {table: f"ALTER TABLE {table} MODIFY {ttl_clause(table, retention_days)}"
            for table in sorted(RETENTION_TABLES)}
