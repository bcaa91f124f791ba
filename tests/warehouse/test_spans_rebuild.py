"""Schema 0022 rebuilds spans in a new sort order: every row survives the copy, the copy fires no view
(summaries and rollups are not counted twice), and the views that write to and read from spans follow
the swapped table. Re-applied here to the session warehouse, which already holds other tests' spans."""

import uuid

import pytest

from ingest.decode import decode
from ingest.envelope import envelope
from tests.ingest.factories import agentic_request
from warehouse.migrations import RenderContext, discover, merge_tree_tables, render, split_statements
from warehouse.otlp import insert_envelopes

pytestmark = pytest.mark.clickhouse

FINGERPRINT = ("SELECT count() AS rows, sum(cityHash64(*)) AS digest FROM spans "
               "WHERE project_id = {project_id:UInt64}")
SUMMARIES = ("SELECT count() AS traces, sum(span_count) AS spans, sum(input_tokens) AS input FROM trace_summaries FINAL "
             "WHERE project_id = {project_id:UInt64}")
ROLLUP = "SELECT sum(requests) AS requests FROM span_rollup_1m WHERE project_id = {project_id:UInt64}"


def _ingest(warehouse, project_id: int, spans: int) -> None:
    decoded = decode("traces", agentic_request(spans, service=f"svc-{spans}").SerializeToString(), "protobuf")
    insert_envelopes(warehouse, "traces", envelope(decoded.payload, project_id, accepted_items=decoded.accepted))


def _rebuild(warehouse, settings, stop_after: str = "") -> None:
    """Apply 0022's statements; with ``stop_after``, stop after the first one starting with it (a run
    that failed there)."""
    migrations = discover()
    rebuild = next(m for m in migrations if m.name == "spans_by_minute")
    ctx = RenderContext("", settings.RETENTION_DAYS, merge_tree_tables(migrations))
    for statement in split_statements(rebuild.text):
        for rendered in render(statement, ctx):
            warehouse.command(rendered)
        if stop_after and statement.startswith(stop_after):
            return


def _read(warehouse, sql: str, project_id: int) -> dict:
    return warehouse.admin_query(sql, {"project_id": project_id}).row(0, named=True)


def test_the_rebuild_keeps_every_span_counts_nothing_twice_and_the_views_follow(warehouse, settings):
    # A project id no Django project gets: test databases roll back and hand out their ids again.
    project_id = 10**12 + uuid.uuid4().int % 10**9
    _ingest(warehouse, project_id, 40)
    before = [_read(warehouse, sql, project_id) for sql in (FINGERPRINT, SUMMARIES, ROLLUP)]
    assert before[0]["rows"] == 40 and before[1]["spans"] == 40 and before[2]["requests"] == 40

    _rebuild(warehouse, settings)

    assert [_read(warehouse, sql, project_id) for sql in (FINGERPRINT, SUMMARIES, ROLLUP)] == before
    key = warehouse.admin_query("SELECT sorting_key FROM system.tables WHERE name = 'spans' "
                                "AND database = currentDatabase()").item()
    assert key == "project_id, toStartOfMinute(timestamp), service_name"
    assert warehouse.admin_query("EXISTS TABLE spans_reordered").item() == 0

    _ingest(warehouse, project_id, 24)  # after the swap: stored, summarised and rolled up once
    assert _read(warehouse, FINGERPRINT, project_id)["rows"] == 64
    assert _read(warehouse, SUMMARIES, project_id)["spans"] == 64
    assert _read(warehouse, ROLLUP, project_id)["requests"] == 64


@pytest.mark.parametrize("failed_after", ["CREATE TABLE", "INSERT INTO", "EXCHANGE TABLES"])
def test_a_rerun_after_a_failed_run_ends_in_the_new_order_with_every_span_once(warehouse, settings, failed_after):
    project_id = 10**12 + uuid.uuid4().int % 10**9
    _ingest(warehouse, project_id, 16)
    before = _read(warehouse, FINGERPRINT, project_id)

    _rebuild(warehouse, settings, stop_after=failed_after)  # the run that failed after this step
    _rebuild(warehouse, settings)  # the rerun

    assert _read(warehouse, FINGERPRINT, project_id) == before
    key = warehouse.admin_query("SELECT sorting_key FROM system.tables WHERE name = 'spans' "
                                "AND database = currentDatabase()").item()
    assert key == "project_id, toStartOfMinute(timestamp), service_name"
    assert warehouse.admin_query("EXISTS TABLE spans_reordered").item() == 0
