"""Anomaly benchmark: one scan of a project holding 10 million spans from the last 7 days (every series
of every scope judged, three days of per-minute history each), and one diagnosis (a BubbleUp over the
spans of a 15-minute window against the six hours before). Targets: scan well under a minute,
diagnosis under 5 s.

    .venv/bin/python bench/anomaly_bench.py                 # 10 million spans over 7 days
    .venv/bin/python bench/anomaly_bench.py --spans 1000000

Spans come from the explore benchmark's generator (services, models, tenants, GPU metrics), written by
SQL and ending an hour ago; the scan is run as of then. Writes results/anomaly_latest.json.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explore_bench import fill, timed  # noqa: E402 - bench/ is the script folder
from harness import open_data_folder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=10_000_000)
    args = parser.parse_args()
    warehouse = open_data_folder(None, "inferops-anomalybench-")
    from apps.anomaly import diagnose, scan, services
    from apps.core.models import Project
    from apps.core.services import project_create

    out: dict = {"spans": args.spans, "fill_s": round(fill(warehouse, args.spans, days=7), 1)}
    project = Project.objects.filter(pk=1).first() or project_create("bench")
    warehouse.command("SET use_query_condition_cache = 0")
    as_of = datetime.now(UTC) - timedelta(hours=1, minutes=2)
    end = scan.scan_end(as_of)
    began = time.perf_counter()
    findings = scan.judge(project.pk, end)
    out["judge_s"] = round(time.perf_counter() - began, 2)
    out["findings"] = len(findings)
    began = time.perf_counter()
    result = services.scan_project(project, as_of)
    out["scan_with_diagnoses_s"] = round(time.perf_counter() - began, 2)
    out["anomalies_opened"] = len(result["opened"])
    window = diagnose.Window(end - timedelta(hours=6, minutes=15), end - timedelta(minutes=15), end)
    out["diagnosis_latency"] = timed(lambda: diagnose.factors(project.pk, "latency", window), runs=3)
    out["diagnosis_errors_by_model"] = timed(lambda: diagnose.factors(project.pk, "errors", window,
                                                                       diagnose.Scope(service="support-agent")), runs=3)
    (ROOT / "bench" / "results" / "anomaly_latest.json").write_text(json.dumps(out, indent=2, default=str))
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
