"""Every periodic task in one place, each with a crontab, an expiry and a one-line why."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Keep the warehouse connection honest and surface outages in the logs within a minute.
    "warehouse-health": {
        "task": "apps.telemetry.tasks.warehouse_health",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
}
