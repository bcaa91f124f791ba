"""Every .sql query is scoped to a project and bounded in time; the runner binds, never formats."""

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from warehouse import BadQuery
from warehouse.queries import QueryDefinitionError, all_query_files, check_scoped

pytestmark = pytest.mark.clickhouse


@pytest.mark.parametrize("path", all_query_files(), ids=lambda p: p.name)
def test_every_query_file_is_project_scoped_and_time_bounded(path):
    placeholders = check_scoped(path.read_text(), path.name)
    assert {"project_id", "start", "end"} <= set(placeholders)


@pytest.mark.parametrize(("sql", "problem"), [
    ("SELECT 1 FROM spans WHERE timestamp >= {start:DateTime64(6)} AND timestamp < {end:DateTime64(6)}", "project_id"),
    ("SELECT 1 FROM spans WHERE project_id = {project_id:UInt64}", "start"),
    ("SELECT 1 FROM spans WHERE project_id IN ({project_id:UInt64}, 2) AND timestamp >= {start:DateTime64(6)} "
     "AND timestamp < {end:DateTime64(6)}", "must filter project_id"),
])
def test_unscoped_queries_are_refused(sql, problem):
    with pytest.raises(QueryDefinitionError, match=problem):
        check_scoped(sql, "inline")


def test_there_are_query_files_to_check():
    assert len(all_query_files()) >= 5


def test_values_are_bound_not_formatted(warehouse, project):
    # A hostile value stays a value: the query sees one odd tenant name, and no table is dropped.
    now = datetime.now(UTC)
    hostile = "x'); DROP TABLE spans; --"
    frame = warehouse.run_query("telemetry.spans_in_window", project_id=project.pk, start=now - timedelta(hours=1),
                                end=now, limit=10)
    assert frame.is_empty()
    with pytest.raises(BadQuery):
        warehouse.run_query("telemetry.spans_in_window", project_id=project.pk, start=now, end=now,
                            limit=hostile)
    assert warehouse.admin_query("EXISTS TABLE spans").item() == 1


def test_unknown_or_extra_parameters_are_refused(warehouse, project):
    now = datetime.now(UTC)
    with pytest.raises(QueryDefinitionError, match="unexpected"):
        warehouse.run_query("telemetry.spans_in_window", project_id=project.pk, start=now, end=now, limit=1,
                            tenant="acme")
    with pytest.raises(QueryDefinitionError, match="missing"):
        warehouse.run_query("telemetry.spans_in_window", project_id=project.pk, start=now, end=now)


def test_inverted_window_is_refused(warehouse, project):
    now = datetime.now(UTC)
    with pytest.raises(BadQuery, match="before start"):
        warehouse.run_query("telemetry.spans_in_window", project_id=project.pk, start=now, end=now - timedelta(1),
                            limit=1)


def test_columnar_insert_and_engine_errors(warehouse):
    warehouse.command("CREATE TABLE IF NOT EXISTS test_columnar (project_id UInt64, name String, v Float64) "
                      "ENGINE = MergeTree ORDER BY project_id")
    rows = warehouse.insert_frame("test_columnar", pa.table({"project_id": [7, 7, 8], "name": ["a", "b", "c"],
                                                             "v": [1.5, 2.5, 4.0]}))
    assert rows == 3
    totals = warehouse.admin_query("SELECT project_id, sum(v) AS v FROM test_columnar GROUP BY project_id "
                                   "ORDER BY project_id").rows()
    assert totals == [(7, 4.0), (8, 4.0)]
    with pytest.raises(BadQuery) as syntax:
        warehouse.admin_query("SELEC 1")
    assert (syntax.value.code, "Syntax error" in str(syntax.value)) == (62, True)
    with pytest.raises(ValueError, match="invalid identifier"):
        warehouse.insert_frame("test_columnar; DROP TABLE spans", pa.table({"project_id": [1]}))
