"""The embedded Celery worker runs tasks in-process (threads, in-memory broker): no fork, no Redis."""

import pytest

from apps.telemetry.tasks import warehouse_health
from inferops_site.workers import EmbeddedWorkers

pytestmark = pytest.mark.clickhouse


def test_embedded_worker_executes_tasks(warehouse):
    workers = EmbeddedWorkers().start()
    try:
        # The worker shares this process, so Celery would mistake the wait for a task waiting on a task.
        assert warehouse_health.delay().get(timeout=30, disable_sync_subtasks=False) is True
    finally:
        workers.stop()


def test_beat_schedule_entries_have_expiry():
    from inferops_site.beat import BEAT_SCHEDULE

    assert all(entry["options"]["expires"] > 0 for entry in BEAT_SCHEDULE.values())
