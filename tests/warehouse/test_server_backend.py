"""The server backend's protocol layer against a real clickhouse-server (Debian's 18.16).

18.16 cannot load our real schema (no SQL UDFs, Map or format_schema_source), so these tests use a
compatible MergeTree table and check connection, columnar inserts, error mapping and reconnects.
18.16 has no ``{name:Type}`` parameters, so bound parameters are tested on chDB, not here.
"""

from datetime import datetime

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import warehouse
from tests.warehouse.clickhouse_server import ClickHouseServer, free_port
from warehouse.config import parse_url

pytestmark = pytest.mark.clickhouse_server

TABLE_DDL = """CREATE TABLE {name} (project_id UInt64, ts DateTime, name String, tokens UInt64, latency Float64)
ENGINE = MergeTree ORDER BY (project_id, ts)"""

FRAME = pl.DataFrame(
    {
        "project_id": [1, 1, 2],
        "ts": [
            datetime(2024, 5, 1, 10, 0, 0),
            datetime(2024, 5, 1, 10, 0, 1),
            datetime(2024, 5, 1, 11, 30, 0),
        ],
        "name": ["chat", "embed", "chat"],
        "tokens": [10, 20, 300],
        "latency": [0.25, 1.5, 3.125],
    },
    schema={
        "project_id": pl.UInt64,
        "ts": pl.Datetime("us"),
        "name": pl.String,
        "tokens": pl.UInt64,
        "latency": pl.Float64,
    },
)

# The same shape built directly in Arrow, as ingest code hands pyarrow tables over too.
ARROW = pa.table(
    {
        "project_id": pa.array([2, 3], pa.uint64()),
        "ts": pa.array([datetime(2024, 5, 2, 0, 0, 0), datetime(2024, 5, 3, 23, 59, 59)], pa.timestamp("us")),
        "name": pa.array(["rerank", "chat"], pa.string()),
        "tokens": pa.array([7, 4000], pa.uint64()),
        "latency": pa.array([0.5, 9.75], pa.float64()),
    }
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ch = ClickHouseServer(tmp_path_factory.mktemp("clickhouse")).start()
    yield ch
    ch.stop()


@pytest.fixture
def wh(server):
    wh = server.warehouse()
    yield wh
    wh.close()


def test_admin_query_returns_typed_frame(wh):
    # The UInt64 maximum does not fit Int64: it proves result types come from ClickHouse, not guessing.
    frame = wh.admin_query("SELECT toUInt64(1) AS a, 'x' AS b, toUInt64(18446744073709551615) AS big")
    assert frame.schema == pl.Schema({"a": pl.UInt64, "b": pl.String, "big": pl.UInt64})
    assert frame.rows() == [(1, "x", 2**64 - 1)]


def test_insert_frame_round_trips_polars_and_arrow(wh):
    wh.command(TABLE_DDL.format(name="calls"))
    assert wh.insert_frame("calls", FRAME) == 3
    assert wh.insert_frame("calls", ARROW) == 2

    totals = wh.admin_query(
        "SELECT project_id, count() AS n, sum(tokens) AS tokens FROM calls GROUP BY project_id ORDER BY project_id"
    )
    assert totals.rows() == [(1, 2, 30), (2, 2, 307), (3, 1, 4000)]

    rows = wh.admin_query("SELECT * FROM calls ORDER BY project_id, ts")
    expected = pl.concat([FRAME, pl.from_arrow(ARROW)]).sort("project_id", "ts")
    expected = expected.with_columns(pl.col("ts").dt.replace_time_zone("UTC"))   # times come back as UTC
    # Values only: DateTime's time unit differs between engines; integer dtypes are checked above.
    assert_frame_equal(rows, expected, check_dtypes=False)


def test_syntax_error_is_bad_query_with_code(wh):
    with pytest.raises(warehouse.BadQuery, match="Syntax error") as info:
        wh.admin_query("SELEC 1")
    assert info.value.code == 62  # SYNTAX_ERROR


def test_unknown_table_is_bad_query_with_code(wh):
    with pytest.raises(warehouse.BadQuery, match="no_such_table") as info:
        wh.admin_query("SELECT * FROM no_such_table")
    assert info.value.code == 60  # UNKNOWN_TABLE


def test_unknown_column_is_bad_query_with_code(wh):
    with pytest.raises(warehouse.BadQuery, match="no_such_column") as info:
        wh.admin_query("SELECT no_such_column FROM system.one")
    assert info.value.code == 47  # UNKNOWN_IDENTIFIER


def test_closed_port_is_unavailable():
    # Nothing listens on a port we just bound and released.
    port = free_port()
    wh = warehouse.Warehouse(parse_url(f"clickhouse://default:@127.0.0.1:{port}/default"))
    with pytest.raises(warehouse.WarehouseUnavailable, match="unreachable"):
        wh.admin_query("SELECT 1")


def test_bad_table_identifier_is_rejected_before_sending():
    # A closed port proves nothing is sent: a query would fail with WarehouseUnavailable instead.
    wh = warehouse.Warehouse(parse_url(f"clickhouse://default:@127.0.0.1:{free_port()}/default"))
    with pytest.raises(ValueError, match="invalid identifier"):
        wh.insert_frame("t; DROP TABLE x", FRAME)


def test_bad_column_identifier_is_rejected_before_sending():
    wh = warehouse.Warehouse(parse_url(f"clickhouse://default:@127.0.0.1:{free_port()}/default"))
    with pytest.raises(ValueError, match="invalid identifier"):
        wh.insert_frame("calls", FRAME.rename({"name": "name) SELECT 1 --"}))


def test_reconnects_after_restart_and_keeps_rows(tmp_path):
    # Its own server: stopping the shared one would break the other tests.
    ch = ClickHouseServer(tmp_path).start()
    wh = ch.warehouse()
    try:
        wh.command(TABLE_DDL.format(name="calls"))
        wh.insert_frame("calls", FRAME)
        assert wh.admin_query("SELECT count() AS n FROM calls").item() == 3

        ch.stop()
        with pytest.raises(warehouse.WarehouseUnavailable):
            wh.admin_query("SELECT count() AS n FROM calls")

        ch.start()
        # Same Warehouse object: the backend must drop the dead connection and open a new one.
        assert wh.admin_query("SELECT count() AS n, sum(tokens) AS t FROM calls").rows() == [(3, 330)]
    finally:
        wh.close()
        ch.stop()
