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
    "ingest_accounting": ("rollups", "minute"),
}


def retention_statements(retention_days: dict[str, int]) -> list[str]:
    """ALTER statements that set every table's TTL from the current settings (metadata-only changes)."""
    statements = []
    for table, (data_class, time_expr) in sorted(RETENTION_TABLES.items()):
        days = int(retention_days[data_class])
        statements.append(f"ALTER TABLE {table} MODIFY TTL {time_expr} + toIntervalDay({days})")
    return statements
