"""Where a span insert's CPU goes, view by view: the CPU time of inserting one request (512 spans) and
one group-committed batch (``--requests`` of them, 65k spans) of the ingest bench's agentic traffic (the C
walk included, as ingest inserts them: warehouse/otlp.py) into
a fresh chDB warehouse, with all views attached and with each view detached in turn. Merges are
stopped, so only the insert itself is measured.

A view's cost is the CPU with every view minus the CPU without that one (for the span rows' view, without
it nothing downstream runs either), split into what every insert pays whatever its size (planning:
ms an insert, from the difference between the two sizes) and what each span adds (µs a span). The
variants are interleaved and each is taken at its best of ``--rounds``, because this shared machine's
pace drifts within minutes; the protobuf parse rate is printed alongside as the machine's pace (the
issue's reference: ≈ 650k spans/s).

Usage: python bench/view_costs.py [--rounds 5] [--requests 128]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SPANS_PER_REQUEST = 512


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=128)
    args = parser.parse_args()
    os.environ["INFEROPS_DATA_DIR"] = tempfile.mkdtemp(prefix="inferops-view-costs-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inferops_site.settings")
    import django

    django.setup()
    from bench.ingest_bench import bodies, parse_rate, wrapped
    from ingest.decode import decode
    from warehouse import get_warehouse
    from warehouse.admin import migrate
    from warehouse.otlp import insert_envelopes

    migrate()
    warehouse = get_warehouse().writer()
    payloads = bodies(16)
    envelopes = wrapped([decode("traces", body, "protobuf") for body in payloads])
    one, batch = envelopes[0], b"".join(envelopes) * (args.requests // 16)
    spans = args.requests // 16 * 16 * SPANS_PER_REQUEST
    warehouse.command("SYSTEM STOP MERGES")
    variants = ["all", *_views_of(warehouse)]

    def cpu_of(variant: str, payload: bytes) -> float:
        if variant != "all":
            warehouse.command(f"DETACH TABLE {variant}")
        try:
            began = time.process_time()
            insert_envelopes(warehouse, "traces", payload)
            return time.process_time() - began
        finally:
            if variant != "all":
                warehouse.command(f"ATTACH TABLE {variant}")

    cpu_of("all", batch)                                              # warm up
    best = {(variant, size): float("inf") for variant in variants for size in ("one", "batch")}
    paces = []
    for _ in range(args.rounds):
        paces.append(parse_rate(payloads[:4]))
        for variant in variants:
            for size, payload in (("one", one), ("batch", batch)):
                best[variant, size] = min(best[variant, size], cpu_of(variant, payload))

    def split(variant: str) -> tuple[float, float]:
        """(ms an insert, µs a span) of all views, or of one view: with it minus without it."""
        costs = {size: best["all", size] - (best[variant, size] if variant != "all" else 0.0)
                 for size in ("one", "batch")}
        per_span = (costs["batch"] - costs["one"]) / (spans - SPANS_PER_REQUEST)
        return round((costs["one"] - per_span * SPANS_PER_REQUEST) * 1e3, 1), round(per_span * 1e6, 2)

    report = {"spans_per_batch": spans, "reference_protobuf_parse_spans_per_s": [min(paces), max(paces)],
              "all_views": dict(zip(("ms_an_insert", "us_a_span"), split("all"), strict=True)),
              "each_view": {v: dict(zip(("ms_an_insert", "us_a_span"), split(v), strict=True))
                            for v in variants if v != "all"}}
    print(json.dumps(report, indent=2))


def _views_of(warehouse) -> list[str]:
    """The materialised views a span insert runs: those depending on otlp_spans_rows, and transitively on
    the tables they write to."""
    rows = warehouse.admin_query(
        "SELECT name, engine, dependencies_table, create_table_query FROM system.tables "
        "WHERE database = currentDatabase()").to_dicts()
    by_name = {row["name"]: row for row in rows}
    found: list[str] = []
    pending = ["otlp_spans_rows"]
    while pending:
        for view in by_name[pending.pop()]["dependencies_table"]:
            if view in found:
                continue
            found.append(view)
            query = by_name[view]["create_table_query"]
            pending.append(query.split(" TO ", 1)[1].split()[0].split(".")[-1].strip("`"))
    return found


if __name__ == "__main__":
    main()
