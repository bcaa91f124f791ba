"""Simulator benchmark: how fast `manage.py simulate` writes history and sustains live traffic
against the embedded server (`manage.py serve`, chDB) on this machine.

    .venv/bin/python bench/simulator_bench.py                 # 7d backfill + live rates
    .venv/bin/python bench/simulator_bench.py --backfill 1d --live-rates 200,1000

Both processes share the machine's cores, as they do for a user running the README's command.
Prints and writes results/simulator_latest.json: the backfill's wall time and spans/s (and
whether every check of `verify_simulation` passed), and for each live target rate the rate
actually delivered over the run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import manage, process_env, start  # noqa: E402


def simulate(env: dict, project: str, *args: str) -> tuple[float, dict]:
    truth_path = Path(env["INFEROPS_DATA_DIR"]) / f"truth-{project}.json"
    began = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "simulate", "--project", project, "--ground-truth", str(truth_path),
                    *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began, json.loads(truth_path.read_text())


def backfill(env: dict, span: str, workers: int) -> dict:
    wall, truth = simulate(env, f"backfill-{workers}", "--backfill", span, "--duration", "0", "--workers",
                           str(workers))
    return {"backfill": span, "workers": workers, "wall_s": round(wall, 1), "spans": truth["sent"]["spans"],
            "spans_per_s": round(truth["sent"]["spans"] / wall), "metric_requests": truth["sent"]["metric_requests"],
            "metric_points": truth["metrics"]["points"], "refused": truth["sent"]["spans_failed"],
            "truth": str(Path(env["INFEROPS_DATA_DIR"]) / f"truth-backfill-{workers}.json")}


def live(env: dict, rate: int, seconds: int) -> dict:
    wall, truth = simulate(env, f"live-{rate}", "--rate", str(rate), "--duration", f"{seconds}s", "--no-incidents")
    # Traces are sent when they end (2–15 s after they start), so the first seconds send little.
    return {"target_spans_per_s": rate, "seconds": seconds, "generated": truth["generated"]["spans"],
            "sent": truth["sent"]["spans"], "delivered_spans_per_s": round(truth["sent"]["spans"] / wall),
            "generated_spans_per_s": round(truth["generated"]["spans"] / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backfill", default="7d")
    parser.add_argument("--workers", default="2", help="comma-separated worker counts to try")
    parser.add_argument("--live-rates", default="200,1000,3000")
    parser.add_argument("--live-seconds", type=int, default=60)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="inferops-simbench-"))
    env = process_env(data_dir, "simulator-bench")
    server = start(env)
    results: dict = {"machine": f"{os.cpu_count()} cores", "backfills": [], "live": []}
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            results["backfills"].append(backfill(env, args.backfill, workers))
            print(json.dumps(results["backfills"][-1]), flush=True)
        for rate in (int(r) for r in args.live_rates.split(",") if r):
            results["live"].append(live(env, rate, args.live_seconds))
            print(json.dumps(results["live"][-1]), flush=True)
    finally:
        server.terminate()
        server.wait(120)
    for run in results["backfills"]:
        run["verified"] = _verified(env, run.pop("truth"))
    out = ROOT / "bench" / "results" / "simulator_latest.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def _verified(env: dict, truth: str) -> str:
    try:
        return manage(env, "verify_simulation", truth).splitlines()[-1]
    except subprocess.CalledProcessError as exc:
        return f"FAILED: {exc.stdout[-2000:]}"


if __name__ == "__main__":
    main()
