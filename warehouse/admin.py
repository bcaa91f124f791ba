"""Schema administration wired to settings (used by commands, serve and tests)."""

from pathlib import Path

from django.conf import settings

from warehouse import get_warehouse
from warehouse.migrations import MigrationRunner


def migration_runner() -> MigrationRunner:
    warehouse = get_warehouse()
    lock_dir = Path(warehouse.config.path) if warehouse.config.engine == "chdb" else None
    return MigrationRunner(warehouse, cluster=settings.CLICKHOUSE_CLUSTER, retention_days=settings.RETENTION_DAYS,
                           lock_dir=lock_dir)


def migrate() -> list:
    return migration_runner().migrate()
