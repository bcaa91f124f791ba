"""Every periodic task in one place, each with a crontab, an expiry and a one-line why."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Keep the warehouse connection honest and surface outages in the logs within a minute.
    "warehouse-health": {
        "task": "apps.telemetry.tasks.warehouse_health",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # SLO burn rates move with each minute of traffic; a page must fire within a minute of the threshold.
    "evaluate-slos": {
        "task": "apps.slo.tasks.evaluate_slos",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Retries whose task was lost (a restart) and claims of a worker that died mid-delivery.
    "sweep-deliveries": {
        "task": "apps.alerts.tasks.sweep_deliveries",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Settled hours into the hourly and six-hourly rollups the week- and month-long overview reads.
    "seal-rollups": {
        "task": "apps.dashboards.tasks.seal_rollups",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 290},
    },
    # Costs of the last half hour (late spans, GPU metrics) and budget thresholds, every minute.
    "cost-live": {
        "task": "apps.cost.tasks.cost_live",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Spans that arrived later than the live job looks back: re-cost the previous two days nightly.
    "cost-sweep": {
        "task": "apps.cost.tasks.cost_sweep",
        "schedule": crontab(minute=17, hour=2),
        "options": {"expires": 3000},
    },
    # Chain newly arrived guardrail decisions into each project's decision ledger and seal them.
    "decisions-seal": {
        "task": "apps.audit.tasks.decisions_seal",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Re-verify every decision ledger hourly (a million records take seconds, not worth every minute).
    "decisions-verify": {
        "task": "apps.audit.tasks.decisions_verify",
        "schedule": crontab(minute=41),
        "options": {"expires": 3000},
    },
    # Judge every series that matters each minute: anomalies open, are diagnosed, group into incidents.
    "anomaly-scan": {
        "task": "apps.anomaly.tasks.anomaly_scan",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Seal the audit trail into a signed checkpoint every five minutes (AU-9(3)).
    "audit-seal": {
        "task": "apps.audit.tasks.audit_seal",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
}
