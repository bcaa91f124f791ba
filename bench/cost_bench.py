"""Cost benchmark: costing 10 million spans into the ledger (8 million LLM calls over 30 days), a
recompute of all of it after a price override, and the finance reports from the rollups (the monthly
report by tenant × model has a target of under 1 s).

    .venv/bin/python bench/cost_bench.py                    # 10 million spans over 30 days
    .venv/bin/python bench/cost_bench.py --spans 1000000
    .venv/bin/python bench/cost_bench.py --reuse /tmp/inferops-costbench-…   # same data, no refill or costing

Spans come from the explore benchmark's generator (traces of one root and four LLM calls; 8 models of
which 6 have list prices and 2 are self-hosted names under an API provider, so unpriced; 50 tenants;
attributes as instrumentations send them), written by SQL. The query-condition cache is off.
Writes results/cost_latest.json.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explore_bench import fill, timed  # noqa: E402 - bench/ is the script folder
from harness import open_data_folder  # noqa: E402


def cost_everything(project) -> dict:
    from apps.cost.models import CostRun
    from apps.cost.services import cost_window

    end = datetime.now(UTC).replace(second=0, microsecond=0)
    began = time.perf_counter()
    run = cost_window(project, end - timedelta(days=31), end, kind=CostRun.Kind.SWEEP)
    seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 1), "posted": run.posted, "total_usd": str(run.total_after),
            "postings_per_s": round(run.posted / seconds)}


def recompute_after_override(project) -> dict:
    from apps.cost.models import CostRun, PriceOverride
    from apps.cost.services import cost_window, version_cut

    PriceOverride.objects.create(project=project, name="bench deal", match="equals", pattern="gpt-4o",
                                 kind="discount", discount_percent=10, effective_from=datetime(2020, 1, 1).date())
    version_cut(project, "bench deal", None)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    began = time.perf_counter()
    run = cost_window(project, end - timedelta(days=31), end, kind=CostRun.Kind.RECOMPUTE)
    return {"seconds": round(time.perf_counter() - began, 1), "posted": run.posted, "reversed": run.reversed,
            "unchanged": run.unchanged, "total_before": str(run.total_before), "total_after": str(run.total_after)}


def reports(project) -> dict:
    from apps.cost import selectors

    today = datetime.now(UTC).date()
    month_ago, tomorrow = today - timedelta(days=31), today + timedelta(days=1)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return {
        "monthly_by_tenant_x_model": timed(lambda: selectors.cost_report(
            project, last_month, next_month, ["tenant", "model"], period="month")),
        "last_31_days_by_tenant_x_model_from_daily": timed(lambda: selectors.cost_report(
            project, month_ago, tomorrow, ["tenant", "model"])),
        "daily_by_model": timed(lambda: selectors.cost_report(project, month_ago, tomorrow, ["model"], period="day")),
        "by_feature_30d": timed(lambda: selectors.dimension_report(project, "feature", month_ago, tomorrow)),
        "agent_runs_1d": timed(lambda: selectors.agent_runs(
            project, datetime.now(UTC) - timedelta(days=1), datetime.now(UTC)), runs=3),
    }


def live_iteration(project) -> dict:
    from apps.cost.services import cost_window, live_window

    return {"live_job_30_minutes": timed(lambda: cost_window(project, *live_window(datetime.now(UTC))), runs=3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--reuse", help="a data folder an earlier run filled and costed")
    args = parser.parse_args()
    warehouse = open_data_folder(args.reuse, "inferops-costbench-")
    from apps.core.models import Project
    from apps.core.services import project_create

    out: dict = {}
    if not args.reuse:
        out["fill_s"] = round(fill(warehouse, args.spans), 1)
        project = project_create("bench")
        print(f"data folder: {os.environ['INFEROPS_DATA_DIR']}", flush=True)
        out["cost_all"] = cost_everything(project)
        print(json.dumps(out), flush=True)
        out["recompute_all"] = recompute_after_override(project)
        print(json.dumps(out), flush=True)
    project = Project.objects.get(pk=1)
    warehouse.command("SET use_query_condition_cache = 0")
    counts = warehouse.admin_query("SELECT (SELECT count() FROM spans) AS spans, (SELECT count() FROM cost_ledger) AS "
                                   "ledger_rows, (SELECT count() FROM cost_daily) AS daily_rows")
    out.update({k: int(counts[k][0]) for k in ("spans", "ledger_rows", "daily_rows")})
    out.update(reports(project))
    out.update(live_iteration(project))
    (ROOT / "bench" / "results" / "cost_latest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
