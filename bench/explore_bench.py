"""Explore benchmark: the overview dashboard's queries, a trace search with two attribute filters, and
one 10,000-span trace (API time and time to a rendered waterfall in Chromium) over N spans in chDB.

    .venv/bin/python bench/explore_bench.py                       # 10 million spans over 30 days
    .venv/bin/python bench/explore_bench.py --spans 1000000
    .venv/bin/python bench/explore_bench.py --reuse /tmp/inferops-explorebench-…   # same data, no refill

Spans are written by SQL into `spans` (the materialised views fill the trace summaries and per-minute
rollups as they would on ingest): traces of five spans, 30 days, 20 services, 8 models, 50 tenants,
20,000 users, 16 GPU hosts, attributes as instrumentations send them. One 10,000-span agent trace
(100 steps of 99 calls each) ends ten minutes ago, with GPU metrics around it. The query-condition
cache is off so repeated runs measure work, not a cache. Writes results/explore_latest.json.
"""

import argparse
import json
import os
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
FEATURES = ["chat", "search", "summarise", "review", "draft", "classify"]
TOOLS = ["search_docs", "lookup_order", "create_ticket", "run_sql", "fetch_url", "send_email", "get_weather",
         "calculator", "read_file", "translate"]
BIG_TRACE = "b16b16b16b16b16b16b16b16b16b16b1"

SPANS = """
INSERT INTO spans (project_id, timestamp, end_timestamp, duration_ns, trace_id, span_id, parent_span_id, name,
                   kind, status_code, is_error, service_name, operation, provider, request_model, response_model,
                   input_tokens, output_tokens, ttft_ns, tenant, endpoint, host, gpu_id, tool_name, span_attributes,
                   resource_attributes)
SELECT 1, ts, ts + toIntervalNanosecond(dur), dur, reinterpretAsFixedString(toUInt128(cityHash64(intDiv(n, 5)))),
       reinterpretAsFixedString(cityHash64(n)),
       if(root, toFixedString('', 8), reinterpretAsFixedString(cityHash64(intDiv(n, 5) * 5))),
       multiIf(root, 'POST /v1/chat', tool, concat('execute_tool ', tool_name), concat('chat ', model)),
       if(root, 'server', 'client'), if(err, 'error', 'unset'), err,
       service, multiIf(root, '', tool, 'execute_tool', 'chat'), if(root OR tool, '', 'openai'),
       if(root OR tool, '', model), if(root OR tool, '', model),
       if(root OR tool, 0, 500 + n % 3000), if(root OR tool, 0, 50 + n % 700), if(root OR tool, 0, toUInt64(dur * 0.2)),
       tenant,
       concat('/v1/', toString(n % 12)), if(tool, 'agent-pod', concat('gpu-node-', toString(n % 16))),
       if(root OR tool, '', toString(n % 8)), tool_name,
       map('tenant.id', tenant, 'user.id', concat('user-', toString(n % 20000)), 'inferops.feature',
           {features}[1 + n % 6], 'gen_ai.request.model', if(root OR tool, '', model),
           'gen_ai.operation.name', multiIf(root, '', tool, 'execute_tool', 'chat'), 'http.route', concat('/v1/', toString(n % 12))),
       map('service.name', service, 'deployment.environment.name', 'prod', 'host.name', concat('pod-', toString(n % 64)))
FROM (
    SELECT number AS n, number % 5 = 0 AS root, number % 5 = 4 AS tool,
           if(number % 5 = 4, {tools}[1 + intDiv(number, 5) % 10], '') AS tool_name,
           now64(9) - toIntervalSecond(toUInt64(number * {spacing})) - toIntervalHour(1) AS ts,
           toUInt64(exp(19.5 + randNormal(0, 0.6))) AS dur, toUInt8(rand(number) % 100 = 0) AS err,
           {services}[1 + intDiv(number, 5) % 20] AS service, {models}[1 + intDiv(number, 7) % 8] AS model,
           {tenants}[1 + intDiv(number, 15) % 50] AS tenant
    FROM numbers({start}, {count})
)
"""

# 1 root, 100 sequential agent steps, 99 calls under each; LLM calls on the GPUs of gpu-node-00.
BIG = """
INSERT INTO spans (project_id, timestamp, end_timestamp, duration_ns, trace_id, span_id, parent_span_id, name, kind,
                   status_code, is_error, service_name, operation, provider, request_model, response_model,
                   input_tokens, output_tokens, ttft_ns, tenant, endpoint, host, gpu_id, span_attributes)
SELECT 1, t0 + toIntervalMillisecond(start_ms), t0 + toIntervalMillisecond(start_ms + dur_ms), dur_ms * 1000000,
       unhex('{trace}'), reinterpretAsFixedString(cityHash64(n + 7)),
       multiIf(n = 0, toFixedString('', 8), n <= 100, reinterpretAsFixedString(cityHash64(7)),
               reinterpretAsFixedString(cityHash64(step + 7))),
       multiIf(n = 0, 'POST /v1/agent', n <= 100, 'invoke_agent planner', op = 'chat', 'chat llama', 'execute_tool search'),
       if(n = 0, 'server', 'internal'), 'unset', 0, 'agent-service', multiIf(n = 0, '', n <= 100, 'invoke_agent', op),
       if(op = 'chat', 'vllm', ''), if(op = 'chat', 'meta-llama/Llama-3.3-70B-Instruct', ''),
       if(op = 'chat', 'meta-llama/Llama-3.3-70B-Instruct', ''), if(op = 'chat', 800, 0), if(op = 'chat', 120, 0),
       if(op = 'chat', 90000000, 0), 'tenant-00', '/v1/agent', if(op = 'chat', 'gpu-node-00', 'agent-pod'),
       if(op = 'chat', toString(n % 8), ''), map('tenant.id', 'tenant-00', 'step', toString(step))
FROM (
    SELECT number AS n, if(number <= 100, number, 1 + (number - 101) % 100) AS step,
           if(number > 100 AND number % 3 = 0, 'execute_tool', 'chat') AS op,
           now64(9) - toIntervalMinute(15) AS t0,
           multiIf(number = 0, 0, number <= 100, (number - 1) * 3000, (step - 1) * 3000 + intDiv(number - 101, 100) * 30) AS start_ms,
           multiIf(number = 0, 300000, number <= 100, 2990, 29) AS dur_ms
    FROM numbers(10000)
)
"""

GPU_POINTS = """
INSERT INTO metric_points (project_id, timestamp, start_timestamp, metric_name, source, unit, kind, value, service_name,
                           host, gpu_id, gpu_model, pod, model_name)
SELECT 1, ts, ts, metric, 'dcgm', '1', 'gauge',
       multiIf(metric = 'gpu.utilization', 0.5 + 0.4 * sin(number / 40), metric = 'gpu.temperature', 60 + 10 * sin(number / 90),
               metric = 'gpu.power', 400 + 100 * sin(number / 60), 5 + 5 * sin(number / 30)),
       if(startsWith(metric, 'gpu.'), 'dcgm-exporter', 'vllm'), concat('gpu-node-', toString(number % 16)),
       if(startsWith(metric, 'gpu.'), toString(intDiv(number, 16) % 8), ''), 'NVIDIA H100 80GB HBM3',
       if(startsWith(metric, 'gpu.'), '', concat('vllm-', toString(number % 16))),
       if(startsWith(metric, 'gpu.'), '', 'meta-llama/Llama-3.3-70B-Instruct')
FROM (
    SELECT number, now64(9) - toIntervalHour(2) + toIntervalSecond(intDiv(number, 128) * 15) AS ts
    FROM numbers(128 * 480)
)
ARRAY JOIN ['gpu.utilization', 'gpu.temperature', 'gpu.power', 'inference.requests.waiting'] AS metric
WHERE startsWith(metric, 'gpu.') OR intDiv(number, 16) % 8 = 0
SETTINGS enable_analyzer = 1
"""


def fill(warehouse, spans: int, days: int = 30) -> float:
    spacing = days * 86400 / spans
    began = time.perf_counter()
    lists = {"services": SERVICES, "models": MODELS, "tenants": TENANTS, "features": FEATURES, "tools": TOOLS}
    for start in range(0, spans, 200_000):   # the views aggregate each insert in memory
        warehouse.command(SPANS.format(spacing=spacing, start=start, count=min(200_000, spans - start), **lists))
    warehouse.command(BIG.format(trace=BIG_TRACE))
    warehouse.command(GPU_POINTS)
    return time.perf_counter() - began


def timed(func, runs: int = 5) -> dict:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        func()
        samples.append((time.perf_counter() - began) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def dashboard(project_id: int) -> dict:
    from apps.dashboards import selectors
    from apps.telemetry.query import Filters, parse_window

    out = {}
    for range_name in ("1h", "24h", "7d", "30d"):
        window = parse_window({"range": range_name})
        out[f"overview_{range_name}_query"] = timed(lambda w=window: selectors.overview_frame(
            project_id, w, Filters(), group_by="service", scope="requests"))
        out[f"overview_{range_name}_with_charts"] = timed(lambda w=window: selectors.overview(
            project_id, w, Filters(), group_by="service", scope="requests"))
        # The filter menus read at most the last 24 hours of the window (DimensionValuesView).
        out[f"dimensions_{range_name}"] = timed(lambda w=window: selectors.dimension_values(
            project_id, max(w.start, w.end - timedelta(hours=24)), w.end))
    return out


def search(project_id: int) -> dict:
    from django.http import QueryDict

    from apps.telemetry.query import parse_trace_search
    from apps.telemetry.selectors import trace_search

    out = {}
    for range_name in ("1h", "24h", "7d"):
        params = QueryDict(f"range={range_name}&attr=tenant.id%20%3D%20tenant-07&attr=inferops.feature%20%3D%20review"
                           "&sort=duration&limit=50")
        rows = len(trace_search(project_id, parse_trace_search(params)).rows)
        out[f"search_two_attributes_{range_name}"] = {**timed(lambda p=params: trace_search(
            project_id, parse_trace_search(p))), "rows": rows}
    return out


def big_trace_api(project_id: int) -> dict:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from apps.telemetry.selectors import trace_view

    client = APIClient(HTTP_HOST="127.0.0.1")  # a host the non-test settings allow
    client.force_authenticate(get_user_model().objects.get(username="bench"))
    response = client.get(f"/api/v1/projects/{project_id}/traces/{BIG_TRACE}")
    assert response.status_code == 200 and len(response.json()["spans"]) == 10_000, response.status_code
    return {"trace_view_selector": timed(lambda: trace_view(project_id, BIG_TRACE)),
            "trace_api_http": {**timed(lambda: client.get(f"/api/v1/projects/{project_id}/traces/{BIG_TRACE}")),
                               "bytes": len(response.content)}}


def rendered(project_id: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, WebServerThread

    server = WebServerThread().start()
    samples, scroll = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server.url}/accounts/login/")
        page.fill("#id_username", "bench")
        page.fill("#id_password", "bench-password-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        for _ in range(5):
            began = time.perf_counter()
            page.goto(f"{server.url}/projects/{project_id}/traces/{BIG_TRACE}")
            page.wait_for_selector("body[data-loaded=trace]", timeout=60_000)
            samples.append((time.perf_counter() - began) * 1000)
            scroll.append(page.evaluate("""() => { const v = document.querySelector('[data-viewport]');
                const t = performance.now(); v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event('scroll'));
                return new Promise(r => requestAnimationFrame(() => r(performance.now() - t))); }"""))
        rows_in_dom = page.locator(".wf-row").count()
        browser.close()
    server.stop()
    return {"trace_page_to_rendered_waterfall": {"median_ms": round(statistics.median(samples), 1),
                                                 "max_ms": round(max(samples), 1)},
            "scroll_to_end_repaint_ms": round(statistics.median(scroll), 1), "rows_in_dom": rows_in_dom}


def seal_all(warehouse) -> float:
    """Seal the coarse rollups as the periodic task would have, call after call, until caught up."""
    from warehouse import rollups

    began, before = time.perf_counter(), None
    while (after := rollups.seal(warehouse, datetime.now(UTC))) != before:
        before = after
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--reuse", help="a data folder an earlier run filled (skips the fill)")
    args = parser.parse_args()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API keeps a loop in this thread
    warehouse = open_data_folder(args.reuse, "inferops-explorebench-")
    from django.contrib.auth import get_user_model

    from apps.core.services import membership_set, project_create

    fill_s = 0.0
    if not args.reuse:
        fill_s = fill(warehouse, args.spans)
        project = project_create("bench")
        assert project.pk == 1
        user = get_user_model().objects.create_user("bench", password="bench-password-1")
        membership_set(project, user, "sre")
    print(f"data folder: {os.environ['INFEROPS_DATA_DIR']}", flush=True)
    seal_s = seal_all(warehouse)
    warehouse.command("SET use_query_condition_cache = 0")
    counts = warehouse.admin_query("SELECT (SELECT count() FROM spans) AS spans, (SELECT count() FROM span_rollup_1m) "
                                   "AS rollup_rows, (SELECT count() FROM trace_summaries) AS summary_rows")
    out = {"spans": int(counts["spans"][0]), "rollup_rows": int(counts["rollup_rows"][0]),
           "summary_rows": int(counts["summary_rows"][0]), "fill_s": round(fill_s, 1), "seal_s": round(seal_s, 1),
           **dashboard(1), **search(1), **big_trace_api(1), **rendered(1)}
    (ROOT / "bench" / "results" / "explore_latest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
