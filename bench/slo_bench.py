"""SLO evaluation benchmark: one evaluation cycle of N SLOs over M spans of 30 days in chDB.

    .venv/bin/python bench/slo_bench.py                     # 1,000 SLOs over 10 million spans
    .venv/bin/python bench/slo_bench.py --spans 1000000 --slos 100

Fills a fresh data folder with spans written by SQL (the rollup views fill the per-minute rollups as
they would on ingest), defines SLOs of every SLI kind over random scopes, then times what the minute
beat task does (`slos_evaluate_all`): the first cycle reads each new SLO's whole history from the
rollups and seals it; later cycles read only the last minutes per SLO plus one pass over the sealed
per-minute series. Also times single-SLO evaluations. Writes results/slo_latest.json.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import open_data_folder  # noqa: E402 - bench/ is the script folder

SERVICES = [f"service-{i:02d}" for i in range(20)]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "Qwen/Qwen2.5-32B-Instruct",
          "meta-llama/Llama-3.3-70B-Instruct", "o3-mini", "claude-3-5-haiku-latest"]
TENANTS = [f"tenant-{i:02d}" for i in range(50)]

# 30 days of spans: every fifth a root request, the rest model calls; 1 % errors, log-normal latency.
FILL = """
INSERT INTO spans (project_id, timestamp, end_timestamp, duration_ns, trace_id, span_id, parent_span_id, name,
                   kind, status_code, is_error, service_name, operation, provider, request_model, response_model,
                   input_tokens, output_tokens, ttft_ns, tenant, endpoint, host)
SELECT 1, ts, ts + toIntervalNanosecond(dur), dur, reinterpretAsFixedString(toUInt128(cityHash64(intDiv(n, 5)))),
       reinterpretAsFixedString(cityHash64(n)),
       if(n % 5 = 0, toFixedString('', 8), reinterpretAsFixedString(cityHash64(intDiv(n, 5) * 5))),
       if(n % 5 = 0, 'POST /v1/chat', 'chat'), if(n % 5 = 0, 'server', 'client'), if(err, 'error', 'unset'), err,
       {services}[1 + n % 20], if(n % 5 = 0, '', 'chat'), 'openai', {models}[1 + intDiv(n, 7) % 8],
       {models}[1 + intDiv(n, 7) % 8], 500 + n % 3000, 50 + n % 700, if(n % 5 = 0, 0, toUInt64(dur * 0.2)),
       {tenants}[1 + intDiv(n, 3) % 50], concat('/v1/', toString(n % 12)), concat('gpu-', toString(n % 16))
FROM (
    SELECT number AS n,
           now64(9) - toIntervalSecond(toUInt64(number * {spacing})) AS ts,
           toUInt64(exp(19.5 + randNormal(0, 0.6))) AS dur,
           toUInt8(rand(number) % 100 = 0) AS err
    FROM numbers({start}, {count})
)
"""


def fill(warehouse, spans: int) -> float:
    spacing = 30 * 86400 / spans
    began = time.perf_counter()
    for start in range(0, spans, 200_000):   # the rollup view aggregates each insert in memory
        warehouse.command(FILL.format(services=SERVICES, models=MODELS, tenants=TENANTS, spacing=spacing, start=start,
                                      count=min(200_000, spans - start)))
    return time.perf_counter() - began


def define(project, count: int, rng: random.Random) -> None:
    from apps.slo.services import slo_create

    kinds = [("availability", "requests", None), ("latency", "requests", 1000), ("ttft", "llm_calls", 500),
             ("tpot", "llm_calls", 50), ("availability", "llm_calls", None)]
    for i in range(count):
        kind, target, threshold = kinds[i % len(kinds)]
        filters = rng.choice([{}, {"services": [rng.choice(SERVICES)]}, {"models": [rng.choice(MODELS)]},
                              {"tenants": [rng.choice(TENANTS)]},
                              {"services": [rng.choice(SERVICES)], "tenants": rng.sample(TENANTS, 3)}])
        slo_create(project, name=f"slo-{i:04d}", sli_kind=kind, target=target, threshold_ms=threshold,
                   objective=rng.choice(["0.99", "0.995", "0.999"]), filters=filters,
                   window=rng.choice(["rolling_30d", "rolling_28d", "rolling_7d", "calendar_month"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--reuse", help="a data folder an earlier run filled (skips the fill and the SLOs)")
    args = parser.parse_args()
    warehouse = open_data_folder(args.reuse, "inferops-slobench-")
    from apps.core.services import project_create
    from apps.slo import evaluation, services

    fill_s = 0.0
    if not args.reuse:
        fill_s = fill(warehouse, args.spans)
        warehouse.command("OPTIMIZE TABLE span_rollup_1m FINAL")
        project = project_create("bench")
        assert project.pk == 1
        define(project, args.slos, random.Random(7))
    print(f"data folder: {os.environ['INFEROPS_DATA_DIR']}", flush=True)
    now = datetime.now(UTC)
    cycles = []
    for minute in range(args.cycles):
        began = time.perf_counter()
        result = evaluation.slos_evaluate_all(now + timedelta(minutes=minute))
        cycles.append(time.perf_counter() - began)
    per_slo = []
    for slo in list(services.SLO.objects.all()[:50]):
        began = time.perf_counter()
        evaluation.slo_evaluate(slo, now)
        per_slo.append((time.perf_counter() - began) * 1000)
    out = {"spans": args.spans, "slos": args.slos, "fill_s": round(fill_s, 1),
           "rollup_rows": int(warehouse.admin_query("SELECT count() AS n FROM span_rollup_1m")["n"][0]),
           "cycle_s": [round(c, 2) for c in cycles], "last_cycle": result,
           "per_slo_ms": {"p50": round(statistics.median(per_slo), 1),
                          "p95": round(sorted(per_slo)[int(0.95 * len(per_slo))], 1), "max": round(max(per_slo), 1)}}
    (ROOT / "bench" / "results" / "slo_latest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
