"""chDB keeps bound parameters on its one engine: concurrent queries must each get their own values."""

import threading

import pytest

pytestmark = pytest.mark.clickhouse


def test_concurrent_parameterised_queries_each_get_their_own_values(warehouse):
    results: dict[int, list] = {}

    def ask(offset: int) -> None:
        got = results.setdefault(offset, [])
        for i in range(150):
            table = warehouse.backend.query_arrow("SELECT {x:UInt32} AS v, {label:String} AS l",
                                                  {"x": str(offset + i), "label": f"t{offset}"})
            got.append((table.column(0)[0].as_py(), table.column(1)[0].as_py()))
            warehouse.backend.command("SELECT count() FROM numbers(10)")   # unparameterised, in between

    threads = [threading.Thread(target=ask, args=(offset,)) for offset in (0, 1000, 2000, 3000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {o: [(o + i, f"t{o}") for i in range(150)] for o in (0, 1000, 2000, 3000)}


@pytest.fixture
def scratch_table(warehouse):
    name = f"spool_probe_{threading.get_ident()}"
    warehouse.backend.command(f"CREATE TABLE {name} (writer UInt32, n UInt32, text String) ENGINE = MergeTree ORDER BY n")
    yield name
    warehouse.backend.command(f"DROP TABLE {name}")


def _rows(writer: int, count: int) -> list[bytes]:
    return [f"{writer},{n},{'x' * (n % 97)}\n".encode() for n in range(count)]


def test_inserts_through_one_writer_side_by_side_each_store_exactly_their_rows(warehouse, scratch_table):
    """One writer's in-memory spool is rewritten in place by each insert; an insert that finds it busy
    takes a file of its own. Payloads that shrink from one insert to the next leave nothing behind."""
    backend = warehouse.backend.new_writer()
    sizes = {writer: [3000, 40, 1200, 7] for writer in range(4)}

    def insert(writer: int) -> None:
        for count in sizes[writer]:
            rows = _rows(writer, count)
            payload = rows if count % 2 else b"".join(rows)  # chunks and whole bytes
            backend.insert_formatted(f"INSERT INTO {scratch_table}", "CSV", payload, {})

    threads = [threading.Thread(target=insert, args=(writer,)) for writer in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    backend.close()
    stored = warehouse.backend.query_arrow(
        f"SELECT writer, count() AS c, sum(length(text)) AS chars FROM {scratch_table} GROUP BY writer ORDER BY writer", {})
    expected = [(w, sum(sizes[w]), sum(n % 97 for count in sizes[w] for n in range(count))) for w in sizes]
    assert list(zip(*(stored.column(i).to_pylist() for i in range(3)), strict=True)) == expected


def test_without_in_memory_files_the_payload_goes_through_a_private_file_that_is_removed(warehouse, scratch_table,
                                                                                         monkeypatch):
    import os
    from pathlib import Path

    monkeypatch.delattr(os, "memfd_create")
    backend = warehouse.backend.new_writer()
    backend.insert_formatted(f"INSERT INTO {scratch_table}", "CSV", _rows(9, 500), {})
    backend.close()
    assert warehouse.backend.query_arrow(f"SELECT count() FROM {scratch_table} WHERE writer = 9", {}).column(0)[0].as_py() == 500
    assert not list((Path(backend.path) / "insert_spool").glob("*"))


def test_a_writer_closed_while_an_insert_holds_its_file_keeps_the_file_until_that_insert_ends(tmp_path):
    """A shutdown that stops waiting for a slow insert closes the writer: the path the insert gave chDB
    must go on naming its payload (a reused descriptor number would name another file)."""
    from pathlib import Path

    from warehouse.backends.chdb_backend import _Spool

    spool = _Spool(str(tmp_path))
    with spool.holding([b"first ", b"payload"]) as path:
        spool.close()
        assert Path(path).read_bytes() == b"first payload"
    assert spool._fd == -1, "the insert closed the writer's file when it ended"
    with spool.holding(b"after close") as later:  # a closed writer's inserts take files of their own
        assert Path(later).read_bytes() == b"after close"
