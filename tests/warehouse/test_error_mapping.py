"""Engine errors map onto what a caller can do: retry later, fix the input, or fix the query."""

import pytest

from warehouse.errors import BadInput, BadQuery, ResourceLimit, WarehouseUnavailable, map_engine_error


@pytest.mark.parametrize(("message", "kind"), [
    ("Code: 32. DB::Exception: Attempt to read after eof: While executing ProtobufRowInputFormat", BadInput),
    ("Code: 32. DB::Exception: Attempt to read after eof: while receiving packet from host:9000", WarehouseUnavailable),
    ("Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space", WarehouseUnavailable),
    ("Code: 202. DB::Exception: Too many simultaneous queries. Maximum: 100", WarehouseUnavailable),
    ("Code: 252. DB::Exception: Too many parts (300)", WarehouseUnavailable),
    ("Code: 241. DB::Exception: Query memory limit exceeded", ResourceLimit),
    ("Code: 62. DB::Exception: Syntax error", BadQuery),
])
def test_engine_errors_map_to_what_a_caller_can_do(message, kind):
    error = map_engine_error(RuntimeError(message + "\nStack trace: 0x1 0x2"))
    assert type(error) is kind
    assert "Stack trace" not in str(error)
