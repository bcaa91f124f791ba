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
