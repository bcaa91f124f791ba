"""Schema administration wired to settings (used by commands, serve and tests)."""

from pathlib import Path

from django.conf import settings
from django.dispatch import Signal

from warehouse import get_warehouse
from warehouse.migrations import MigrationRunner


def migration_runner() -> MigrationRunner:
    warehouse = get_warehouse()
    lock_dir = Path(warehouse.config.path) if warehouse.config.engine == "chdb" else None
    return MigrationRunner(warehouse, cluster=settings.CLICKHOUSE_CLUSTER, retention_days=settings.RETENTION_DAYS,
                           lock_dir=lock_dir)


# Sent when a migration run changed table TTLs (retention settings changed): the audit trail records it.
retention_changed = Signal()


def migrate() -> list:
    runner = migration_runner()
    applied = runner.migrate()
    if runner.retention_changed:
        retention_changed.send(sender=migrate, tables=runner.retention_changed, days=dict(settings.RETENTION_DAYS))
    return applied
