"""Forward-only schema migrations for the warehouse.

Files ``warehouse/schema/NNNN_name.sql`` hold statements separated by ``;`` at the end of a
line. They are templates with a few markers, rendered at apply time:

* ``{{on_cluster}}`` → ``ON CLUSTER name`` when a cluster is configured, else nothing;
* ``{{retention_days:CLASS}}`` → the configured retention of a data class (traces, metrics, …).

With a cluster, every ``*MergeTree`` table ``T`` becomes a Replicated ``T_local`` with a
Distributed ``T`` in front; materialised views that read a MergeTree table read and write the
``_local`` tables; views fed by the Null ingest tables write through the Distributed table. A table
rebuild (copy, ``EXCHANGE TABLES``, drop) swaps and drops the ``_local`` tables on every node.
Checksums are taken over the template text, so editing an applied file is refused.
"""

import fcntl
import hashlib
import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import Warehouse
from warehouse.errors import SchemaError

logger = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
LOCK_TTL_S = 600


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str = field(repr=False)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class RenderContext:
    cluster: str
    retention_days: dict[str, int]
    merge_tree_tables: frozenset[str]


def discover(schema_dir: Path = SCHEMA_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(schema_dir.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise SchemaError(f"schema file {path.name} does not look like NNNN_name.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"duplicate migration numbers in {schema_dir}")
    return migrations


def split_statements(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [stmt.strip() for stmt in re.split(r";\s*(?:\n|$)", body) if stmt.strip()]


_CREATE_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+)", re.I)
_ENGINE = re.compile(r"ENGINE\s*=\s*(\w*MergeTree)(\([^)]*\))?", re.I)


def merge_tree_tables(migrations: list[Migration]) -> frozenset[str]:
    names = set()
    for migration in migrations:
        for statement in split_statements(migration.text):
            table = _CREATE_TABLE.match(statement)
            if table and _ENGINE.search(statement):
                names.add(table.group(1))
    return frozenset(names)


_DROP_TABLE = re.compile(r"^DROP TABLE IF EXISTS (\w+)", re.I)


def stored_tables(migrations: list[Migration]) -> frozenset[str]:
    """The MergeTree tables that exist once every migration is applied (not those a rebuild dropped)."""
    dropped = {match.group(1) for migration in migrations for statement in split_statements(migration.text)
               if (match := _DROP_TABLE.match(statement))}
    return merge_tree_tables(migrations) - dropped


def render(statement: str, ctx: RenderContext) -> list[str]:
    """Render one template statement into the statements to run (more than one on a cluster)."""
    def retention(match: re.Match) -> str:
        data_class = match.group(1)
        if data_class not in ctx.retention_days:
            raise SchemaError(f"unknown retention class {data_class!r}")
        return str(int(ctx.retention_days[data_class]))

    text = re.sub(r"\{\{retention_days:(\w+)\}\}", retention, statement)
    on_cluster = f"ON CLUSTER {ctx.cluster}" if ctx.cluster else ""
    text = text.replace("{{on_cluster}}", on_cluster)
    if "{{" in text:
        raise SchemaError(f"unknown template marker in: {text[:120]}")
    synced = re.match(r"^SYSTEM SYNC REPLICA (\w+)", text, re.I)
    if synced:
        # Only replicated (cluster) tables have replicas to wait for.
        return [re.sub(r"^SYSTEM SYNC REPLICA (\w+)", r"SYSTEM SYNC REPLICA \1_local", text)] if ctx.cluster else []
    if not ctx.cluster:
        return [text]
    return _render_cluster(text, ctx)


def _render_cluster(text: str, ctx: RenderContext) -> list[str]:
    table = _CREATE_TABLE.match(text)
    engine = _ENGINE.search(text)
    if table and engine and table.group(1) in ctx.merge_tree_tables:
        name = table.group(1)
        local = f"{name}_local"
        args = (engine.group(2) or "()")[1:-1]
        replicated_args = ", ".join(filter(None, [f"'/clickhouse/tables/{{shard}}/{{database}}/{local}'", "'{replica}'", args]))
        text = _CREATE_TABLE.sub(f"CREATE TABLE IF NOT EXISTS {local}", text, count=1)
        text = _ENGINE.sub(f"ENGINE = Replicated{engine.group(1)}({replicated_args})", text, count=1)
        distributed = (f"CREATE TABLE IF NOT EXISTS {name} ON CLUSTER {ctx.cluster} AS {local} "
                       f"ENGINE = Distributed({ctx.cluster}, currentDatabase(), {local}, rand())")
        return [text, distributed]
    view = re.match(r"^CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ .*?TO (\w+)", text, re.I | re.S)
    if view:
        sources = set(re.findall(r"\bFROM\s+(\w+)", text, re.I)) & ctx.merge_tree_tables
        if sources:
            # A view over a MergeTree table fires on the shard where rows land: read and write locally.
            text = _local_sources(text, sources)
            target = view.group(1)
            if target in ctx.merge_tree_tables:
                text = re.sub(rf"\bTO\s+{target}\b", f"TO {target}_local", text, count=1)
        return [text]
    if re.match(r"^ALTER TABLE \w+ ON CLUSTER \w+ MODIFY QUERY\b", text, re.I):
        # A view's new query reads the same (local) sources as its CREATE did.
        return [_local_sources(text, set(re.findall(r"\bFROM\s+(\w+)", text, re.I)) & ctx.merge_tree_tables)]
    rebuilt = _render_rebuild(text, ctx)
    if rebuilt:
        return rebuilt
    altered = re.match(r"^ALTER TABLE (\w+)", text, re.I)
    if altered and altered.group(1) in ctx.merge_tree_tables:
        name = altered.group(1)
        local = re.sub(rf"^ALTER TABLE {name}\b", f"ALTER TABLE {name}_local ON CLUSTER {ctx.cluster}", text)
        if re.search(r"\bADD COLUMN\b", text, re.I):
            # The Distributed front must show the new columns too.
            return [local, re.sub(rf"^ALTER TABLE {name}\b", f"ALTER TABLE {name} ON CLUSTER {ctx.cluster}", text)]
        return [local]
    return [text]


def _render_rebuild(text: str, ctx: RenderContext) -> list[str] | None:
    """A table rebuild's swap and drops act on every node's local tables (the Distributed
    fronts address their local tables by name, so swapping the locals swaps the data)."""
    exchanged = re.match(r"^EXCHANGE TABLES (\w+) AND (\w+)", text, re.I)
    if exchanged and {exchanged.group(1), exchanged.group(2)} <= ctx.merge_tree_tables:
        return [re.sub(r"^EXCHANGE TABLES (\w+) AND (\w+)", r"EXCHANGE TABLES \1_local AND \2_local", text)]
    dropped = _DROP_TABLE.match(text)
    if dropped and dropped.group(1) in ctx.merge_tree_tables:
        return [text, re.sub(rf"\b{dropped.group(1)}\b", f"{dropped.group(1)}_local", text, count=1)]
    return None


def _local_sources(text: str, sources: set[str]) -> str:
    for source in sources:
        text = re.sub(rf"\bFROM\s+{source}\b", f"FROM {source}_local", text)
    return text


class MigrationRunner:
    """Applies pending migrations in order, recording checksums; refuses edited history."""

    def __init__(self, warehouse: Warehouse, *, cluster: str, retention_days: dict[str, int],
                 lock_dir: Path | None = None, schema_dir: Path = SCHEMA_DIR):
        self.warehouse = warehouse
        self.migrations = discover(schema_dir)
        self.ctx = RenderContext(cluster, retention_days, merge_tree_tables(self.migrations))
        self.lock_dir = lock_dir
        self.retention_changed: list[str] = []      # tables whose TTL the last migrate() changed

    def bookkeeping_statements(self) -> list[str]:
        """History and lock tables. On a cluster they live in Keeper (KeeperMap), so every node and
        every runner sees one linearizable history and one lock, not a copy per node."""
        if self.ctx.cluster:
            on_cluster = f"ON CLUSTER {self.ctx.cluster}"
            return [
                f"CREATE TABLE IF NOT EXISTS schema_migrations {on_cluster} (version UInt32, name String, "
                "checksum String, applied_at DateTime64(3, 'UTC')) "
                "ENGINE = KeeperMap('/inferops/schema_migrations') PRIMARY KEY version",
                f"CREATE TABLE IF NOT EXISTS schema_migration_lock {on_cluster} (holder String, "
                "acquired_at DateTime64(3, 'UTC')) ENGINE = KeeperMap('/inferops/schema_migration_lock') PRIMARY KEY holder",
            ]
        return [
            "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, checksum String, "
            "applied_at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY version",
            "CREATE TABLE IF NOT EXISTS schema_migration_lock (holder String, acquired_at DateTime64(3, 'UTC')) "
            "ENGINE = MergeTree ORDER BY acquired_at",
        ]

    def _ensure_bookkeeping(self) -> None:
        for statement in self.bookkeeping_statements():
            self.warehouse.command(statement)

    def applied(self) -> dict[int, tuple[str, str]]:
        frame = self.warehouse.admin_query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        return {int(row["version"]): (row["name"], row["checksum"]) for row in frame.iter_rows(named=True)}

    def verify_history(self, applied: dict[int, tuple[str, str]]) -> None:
        by_version = {m.version: m for m in self.migrations}
        for version, (name, checksum) in applied.items():
            migration = by_version.get(version)
            if migration is None:
                raise SchemaError(f"migration {version:04d}_{name} was applied but its file is gone")
            if migration.checksum != checksum:
                raise SchemaError(f"migration {version:04d}_{name}.sql was edited after it was applied "
                                  f"(checksum {checksum[:12]} recorded, {migration.checksum[:12]} now); "
                                  "add a new migration instead")

    def plan(self) -> list[tuple[Migration, list[str]]]:
        """The pending migrations with their rendered statements (used by the dry run too)."""
        self._ensure_bookkeeping()
        applied = self.applied()
        self.verify_history(applied)
        pending = [m for m in self.migrations if m.version not in applied]
        return [(m, [s for stmt in split_statements(m.text) for s in render(stmt, self.ctx)]) for m in pending]

    def migrate(self, dry_run: bool = False) -> list[Migration]:
        with self._lock():
            plan = self.plan()
            if dry_run:
                return [m for m, _ in plan]
            for migration, statements in plan:
                logger.info("applying warehouse migration", extra={"version": migration.version, "migration": migration.name})
                for statement in statements:
                    self.warehouse.command(statement)
                self.warehouse.command(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                    "VALUES ({v:UInt32}, {n:String}, {c:String}, now64(3))",
                    {"v": migration.version, "n": migration.name, "c": migration.checksum})
            self.retention_changed = self.apply_retention()
            return [m for m, _ in plan]

    def apply_retention(self) -> list[str]:
        """Change the TTL of the tables whose retention setting changed; returns their names."""
        from warehouse.retention import retention_statements, ttl_clause

        changed = []
        for table, statement in retention_statements(self.ctx.retention_days).items():
            stored = table + "_local" if self.ctx.cluster else table
            ddl = self.warehouse.admin_query(
                "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
                {"t": stored})
            if not ddl.is_empty() and ttl_clause(table, self.ctx.retention_days) in ddl.item():
                continue
            for rendered in render(statement, self.ctx):
                self.warehouse.command(rendered)
            changed.append(table)
        return changed

    @contextmanager
    def _lock(self):
        with self._file_lock():
            holder = uuid.uuid4().hex
            self._ensure_bookkeeping()
            self._stamp(self.warehouse, holder)
            try:
                first = self.warehouse.admin_query(
                    "SELECT holder FROM schema_migration_lock "
                    "WHERE acquired_at > now64(3) - toIntervalMillisecond({ttl_ms:UInt32}) "
                    "ORDER BY acquired_at, holder LIMIT 1", {"ttl_ms": int(LOCK_TTL_S * 1000)})
                if first.is_empty() or first["holder"][0].split(":")[0] != holder:
                    raise SchemaError("another migration run holds the warehouse schema lock; retry when it finishes")
                with self._renewing(holder):
                    yield
            finally:
                self.warehouse.command("DELETE FROM schema_migration_lock WHERE startsWith(holder, {h:String})",
                                       {"h": holder})

    @staticmethod
    def _stamp(warehouse: Warehouse, holder: str) -> None:
        warehouse.command("INSERT INTO schema_migration_lock (holder, acquired_at) VALUES ({h:String}, now64(3))",
                          {"h": holder})

    @contextmanager
    def _renewing(self, holder: str):
        """Keep the lock live while the run lasts: one statement (a table rebuild's copy) can outlast
        LOCK_TTL_S. Renewals are rows of their own (holder:n), so the run keeps its place in line."""
        stop = threading.Event()
        writer = self.warehouse.writer()

        def renew() -> None:
            renewal = 0
            while not stop.wait(LOCK_TTL_S / 4):
                renewal += 1
                try:
                    self._stamp(writer, f"{holder}:{renewal}")
                except Exception:  # noqa: BLE001 - the next renewal tries again; the run itself goes on
                    logger.exception("could not renew the warehouse schema lock")

        thread = threading.Thread(target=renew, name="migration-lock", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            writer.close()

    @contextmanager
    def _file_lock(self):
        if self.lock_dir is None:
            yield
            return
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        with open(self.lock_dir / "migrate.lock", "w") as handle:
            deadline = time.monotonic() + 30
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as exc:
                    if time.monotonic() > deadline:
                        raise SchemaError("another migration run holds the warehouse schema lock") from exc
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
