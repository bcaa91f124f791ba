"""The migration runner: checksums, edited history refused, lock, dry run, retention, cluster rendering."""

import shutil
import time

import pytest

from warehouse import SchemaError
from warehouse.migrations import (
    SCHEMA_DIR,
    MigrationRunner,
    RenderContext,
    discover,
    merge_tree_tables,
    render,
    stored_tables,
)
from warehouse.retention import RETENTION_TABLES, STATE_TABLES, retention_statements

pytestmark = pytest.mark.clickhouse
RETENTION = {"traces": 30, "metrics": 30, "logs": 14, "rollups": 400, "guardrails": 400, "cost": 800, "audit": 2557}


@pytest.fixture
def schema_copy(tmp_path):
    target = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, target)
    return target


def _runner(warehouse, schema_dir, **kwargs) -> MigrationRunner:
    return MigrationRunner(warehouse, cluster="", retention_days=RETENTION, schema_dir=schema_dir, **kwargs)


def test_session_warehouse_is_fully_migrated_and_rerun_is_a_no_op(warehouse):
    runner = _runner(warehouse, SCHEMA_DIR)
    assert runner.migrate() == []
    assert sorted(runner.applied()) == [m.version for m in discover()]


def test_edited_history_is_refused(warehouse, schema_copy):
    applied = schema_copy / "0002_traces.sql"
    applied.write_text(applied.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(SchemaError, match="0002_traces.sql was edited after it was applied"):
        _runner(warehouse, schema_copy).migrate()


def test_deleted_history_is_refused(warehouse, schema_copy):
    (schema_copy / "0004_logs.sql").unlink()
    with pytest.raises(SchemaError, match="0004_logs was applied but its file is gone"):
        _runner(warehouse, schema_copy).migrate(dry_run=True)


@pytest.fixture
def probe_cleanup(warehouse):
    yield
    # The shared warehouse must not keep a migration that the real schema folder lacks.
    warehouse.command("DELETE FROM schema_migrations WHERE version = 999")
    warehouse.command("DROP TABLE IF EXISTS migration_probe")


def test_dry_run_lists_pending_without_applying(warehouse, schema_copy, probe_cleanup):
    (schema_copy / "0999_probe.sql").write_text(
        "CREATE TABLE IF NOT EXISTS migration_probe {{on_cluster}} (project_id UInt64) ENGINE = MergeTree "
        "ORDER BY project_id;\n")
    runner = _runner(warehouse, schema_copy)
    plan = runner.plan()
    assert [(m.version, statements) for m, statements in plan] == [
        (999, ["CREATE TABLE IF NOT EXISTS migration_probe  (project_id UInt64) ENGINE = MergeTree "
               "ORDER BY project_id"])]
    assert [m.version for m in runner.migrate(dry_run=True)] == [999]
    assert warehouse.admin_query("EXISTS TABLE migration_probe").item() == 0
    assert [m.version for m in runner.migrate()] == [999]
    assert warehouse.admin_query("EXISTS TABLE migration_probe").item() == 1


def test_a_held_lock_refuses_a_second_run(warehouse):
    warehouse.command("INSERT INTO schema_migration_lock (holder, acquired_at) VALUES ('other-run', now64(3) - 1)")
    try:
        with pytest.raises(SchemaError, match="holds the warehouse schema lock"):
            _runner(warehouse, SCHEMA_DIR).migrate()
    finally:
        warehouse.command("DELETE FROM schema_migration_lock WHERE holder = 'other-run'")


def test_the_lock_stays_held_while_a_long_run_outlasts_its_ttl(warehouse, monkeypatch):
    monkeypatch.setattr("warehouse.migrations.LOCK_TTL_S", 0.4)
    runner = _runner(warehouse, SCHEMA_DIR)
    with runner._lock():
        time.sleep(1.2)  # three times the TTL: the first stamp has long expired
        live = warehouse.admin_query("SELECT groupUniqArray(splitByChar(':', holder)[1]) AS holders "
                                     "FROM schema_migration_lock WHERE acquired_at > now64(3) - toIntervalMillisecond(400)")
        assert len(live["holders"][0]) == 1
        with pytest.raises(SchemaError, match="holds the warehouse schema lock"):
            with _runner(warehouse, SCHEMA_DIR)._lock():
                pass
    assert warehouse.admin_query("SELECT count() FROM schema_migration_lock").item() == 0


def test_retention_settings_become_ttls_only_when_changed(warehouse, settings):
    runner = MigrationRunner(warehouse, cluster="", retention_days={**settings.RETENTION_DAYS, "traces": 9})
    try:
        assert runner.apply_retention() == ["spans", "trace_summaries"]
        ddl = warehouse.admin_query("SELECT create_table_query FROM system.tables WHERE name = 'spans' "
                                    "AND database = currentDatabase()").item()
        assert "TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay(9)" in ddl
        assert runner.apply_retention() == []
    finally:
        MigrationRunner(warehouse, cluster="", retention_days=settings.RETENTION_DAYS).apply_retention()


def test_every_stored_table_has_a_retention_class():
    tables = stored_tables(discover())  # not the transient copy of a rebuild (0022)
    assert set(RETENTION_TABLES) == tables - STATE_TABLES and not STATE_TABLES & set(RETENTION_TABLES)
    assert set(retention_statements(RETENTION)) == tables - STATE_TABLES


@pytest.fixture(scope="module")
def cluster_statements() -> list[str]:
    migrations = discover()
    ctx = RenderContext("prod", RETENTION, merge_tree_tables(migrations))
    from warehouse.migrations import split_statements

    return [s for m in migrations for stmt in split_statements(m.text) for s in render(stmt, ctx)]


def test_cluster_rendering_makes_replicated_locals_and_distributed_fronts(cluster_statements):
    local = next(s for s in cluster_statements if s.startswith("CREATE TABLE IF NOT EXISTS spans_local"))
    front = next(s for s in cluster_statements if s.startswith("CREATE TABLE IF NOT EXISTS spans "))
    assert "ON CLUSTER prod" in local
    assert "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/spans_local', '{replica}')" in local
    assert front == ("CREATE TABLE IF NOT EXISTS spans ON CLUSTER prod AS spans_local "
                     "ENGINE = Distributed(prod, currentDatabase(), spans_local, rand())")
    summing = next(s for s in cluster_statements if s.startswith("CREATE TABLE IF NOT EXISTS ingest_accounting_local"))
    assert "ENGINE = ReplicatedSummingMergeTree(" in summing
    # A storage setting changes the shards' local tables, not the Distributed front.
    wide = [s for s in cluster_statements if "min_rows_for_wide_part" in s]
    assert wide == [f"ALTER TABLE spans_local ON CLUSTER prod MODIFY SETTING min_bytes_for_wide_part = 0, "
                    f"min_rows_for_wide_part = {rows}" for rows in (10000, 1000000)]


def test_cluster_rendering_routes_materialised_views(cluster_statements):
    views = {s.split()[6]: s for s in cluster_statements if s.startswith("CREATE MATERIALIZED VIEW")}
    # Fed by a Null ingest table: write through the Distributed table so rows are sharded.
    assert " TO spans AS" in views["otlp_traces_mv"] and "ON CLUSTER prod" in views["otlp_traces_mv"]
    # The two-stage spans view: through a Null stage table, then the Distributed table.
    assert " TO otlp_spans_stage AS" in views["otlp_spans_stage_mv"] and "FROM otlp_spans_in" in views["otlp_spans_stage_mv"]
    assert " TO spans AS" in views["otlp_spans_mv"] and "FROM otlp_spans_stage" in views["otlp_spans_mv"]
    # Span rows (schema 0024), normalised by ingest, go straight to the Distributed table, as does their accounting.
    assert " TO spans AS" in views["otlp_span_rows_mv"] and "FROM otlp_spans_rows" in views["otlp_span_rows_mv"]
    assert " TO ingest_accounting AS" in views["ingest_accounting_span_rows_mv"]
    # Fed by a MergeTree table: fire on the shard where rows land, read and write locally.
    assert " TO span_rollup_1m_local AS" in views["span_rollup_1m_mv"]
    assert "FROM spans_local" in views["span_rollup_1m_mv"] and "FROM spans\n" not in views["span_rollup_1m_mv"]
    assert "FROM spans_local" in views["guardrail_spans_mv"]


def test_cluster_rendering_puts_functions_and_null_tables_on_the_cluster(cluster_statements):
    functions = [s for s in cluster_statements if s.startswith("CREATE FUNCTION")]
    nulls = [s for s in cluster_statements if "ENGINE = Null" in s]
    assert functions and all("ON CLUSTER prod" in s for s in functions)
    # the three signals' first ingest tables; spans' new one, its view's stage and the span rows; one per metric kind
    assert len(nulls) == 10 and all("ON CLUSTER prod" in s for s in nulls)


def test_unknown_template_markers_are_refused():
    with pytest.raises(SchemaError, match="unknown template marker"):
        render("CREATE TABLE x {{nope}}", RenderContext("", RETENTION, frozenset()))


def test_cluster_bookkeeping_lives_in_keeper(warehouse):
    runner = MigrationRunner(warehouse, cluster="prod", retention_days=RETENTION)
    statements = runner.bookkeeping_statements()
    assert all("ON CLUSTER prod" in s and "ENGINE = KeeperMap('/inferops/" in s for s in statements)


def test_ingest_inserts_wait_for_shards():
    from warehouse.otlp import insert_settings

    settings = insert_settings("traces")
    assert (settings["distributed_foreground_insert"], settings["async_insert"]) == ("1", "0")


def test_cluster_rendering_of_a_table_rebuild(cluster_statements):
    """0022: the copy is made and swapped on every node's local tables after every replica caught up;
    the copy goes through the Distributed tables and must reach the shards before the swap."""
    start = cluster_statements.index("DROP TABLE IF EXISTS spans_reordered ON CLUSTER prod SYNC")
    rebuild = cluster_statements[start:start + 9]
    assert rebuild[1] == "DROP TABLE IF EXISTS spans_reordered_local ON CLUSTER prod SYNC"
    assert rebuild[2].startswith("CREATE TABLE IF NOT EXISTS spans_reordered_local ON CLUSTER prod")
    assert "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/spans_reordered_local'" in rebuild[2]
    assert rebuild[3].startswith("CREATE TABLE IF NOT EXISTS spans_reordered ON CLUSTER prod AS spans_reordered_local")
    assert rebuild[4:] == [
        "SYSTEM SYNC REPLICA spans_local ON CLUSTER prod",
        "INSERT INTO spans_reordered SELECT * FROM spans\nSETTINGS distributed_foreground_insert = 1, "
        "throw_on_max_partitions_per_insert_block = 0, insert_deduplicate = 0",
        "EXCHANGE TABLES spans_local AND spans_reordered_local ON CLUSTER prod",
        "DROP TABLE IF EXISTS spans_reordered ON CLUSTER prod",
        "DROP TABLE IF EXISTS spans_reordered_local ON CLUSTER prod",
    ]
    # Without a cluster there are no replicas to wait for.
    assert render("SYSTEM SYNC REPLICA spans {{on_cluster}}", RenderContext("", RETENTION, frozenset({"spans"}))) == []


def test_cluster_rendering_of_added_columns_and_new_view_queries(cluster_statements):
    added = [s for s in cluster_statements if "ADD COLUMN IF NOT EXISTS duration_le" in s]
    assert [s.split(" ON CLUSTER")[0] for s in added] == ["ALTER TABLE span_rollup_1m_local", "ALTER TABLE span_rollup_1m"]
    modified = next(s for s in cluster_statements if "MODIFY QUERY" in s)
    assert modified.startswith("ALTER TABLE span_rollup_1m_mv ON CLUSTER prod MODIFY QUERY")
    assert "FROM spans_local" in modified and "FROM spans\n" not in modified


@pytest.mark.django_db
def test_a_retention_change_is_recorded_in_the_audit_trail(warehouse, settings):
    from apps.audit.models import AuditRecord
    from warehouse.admin import migrate

    original = settings.RETENTION_DAYS
    settings.RETENTION_DAYS = {**original, "logs": original["logs"] + 5}
    try:
        migrate()
        record = AuditRecord.objects.filter(action="warehouse.retention.update").last()
        assert record.details == {"tables": ["logs"], "days": dict(sorted(settings.RETENTION_DAYS.items()))}
        assert record.actor_type == "system"
        migrate()
        assert AuditRecord.objects.filter(action="warehouse.retention.update").count() == 1, "no change, no record"
    finally:
        settings.RETENTION_DAYS = original
        migrate()
