"""Audit benchmark: sealing the decision ledger at 1,000 guardrail decisions per second (each minute's
60,000 decisions chained and signed by one run of the every-minute seal task), then verifying the
resulting chain of about a million records, whole and by checkpoint range, and the offline bundle
verifier's throughput.

    .venv/bin/python bench/audit_bench.py                   # 17 minutes of decisions: 1.02 million
    .venv/bin/python bench/audit_bench.py --minutes 3

Decisions are written straight into guardrail_decisions (what the ingest views derive from guardrail
spans), one minute's worth per insert, with realistic variety (policies, rules, verdicts, tenants,
users, models). Writes results/audit_latest.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import open_data_folder  # noqa: E402 - bench/ is the script folder

PER_MINUTE = 60_000


def minute_of_decisions(project_id: int, minute: datetime, seed: int) -> pl.DataFrame:
    n = PER_MINUTE
    index = pl.int_range(0, n, eager=True) + seed * n
    return pl.DataFrame({
        "project_id": pl.Series([project_id] * n, dtype=pl.UInt64),
        "timestamp": pl.datetime_range(minute, minute + timedelta(seconds=59, microseconds=999_000), interval="1ms",
                                       eager=True, time_zone="UTC")[:n].cast(pl.Datetime("ns", "UTC")),
        "trace_id": [os.urandom(16) for _ in range(n)],
        "span_id": [os.urandom(8) for _ in range(n)],
        "source": ["span"] * n,
        "service_name": (index % 7).map_elements(lambda i: f"gateway-{i}", return_dtype=pl.String),
        "tenant": (index % 50).map_elements(lambda i: f"tenant-{i}", return_dtype=pl.String),
        "user_id": (index % 5000).map_elements(lambda i: f"user-{i}", return_dtype=pl.String),
        "component_name": ["pii-filter"] * n,
        "policy_id": (index % 4).map_elements(lambda i: ["pii", "toxicity", "jailbreak", "secrets"][i],
                                             return_dtype=pl.String),
        "policy_version": (index % 3).cast(pl.String),
        "rule_id": (index % 11).map_elements(lambda i: f"rule-{i}", return_dtype=pl.String),
        "phase": (index % 2).map_elements(lambda i: ["input", "output"][i], return_dtype=pl.String),
        "target_subtype": ["llm"] * n,
        "verdict": (index % 10).map_elements(lambda i: "deny" if i == 0 else "allow", return_dtype=pl.String),
        "action": (index % 10).map_elements(lambda i: "block" if i == 0 else "none", return_dtype=pl.String),
        "reason": ["matched"] * n,
        "risk_category": ["privacy"] * n,
        "risk_score": (index % 100).cast(pl.Float64) / 100,
        "content_hash": (index % 100_000).map_elements(lambda i: f"hmac-sha256:{i:064x}", return_dtype=pl.String),
        "latency_ns": (index % 50 + 1).cast(pl.UInt64) * 100_000,
        "model": (index % 8).map_elements(lambda i: f"model-{i}", return_dtype=pl.String),
    })


def seal_minutes(warehouse, project_id: int, minutes: int) -> dict:
    from apps.audit import decisions

    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes)
    chain_s, seal_s = [], []
    for m in range(minutes):
        warehouse.insert_frame("guardrail_decisions", minute_of_decisions(project_id, start + timedelta(minutes=m), m))
        time.sleep(1.05 - time.time() % 1)               # decisions are taken by whole seconds of arrival
        began = time.perf_counter()
        chained = decisions.chain_new(project_id)
        chain_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        checkpoint = decisions.seal(project_id)
        seal_s.append(time.perf_counter() - began)
        assert chained == PER_MINUTE and checkpoint is not None, (chained, checkpoint)
        print(f"minute {m + 1}/{minutes}: chained {chained} in {chain_s[-1]:.2f} s, sealed in {seal_s[-1]:.2f} s",
              flush=True)
    total = [c + s for c, s in zip(chain_s, seal_s, strict=True)]
    return {"decisions_per_minute": PER_MINUTE, "minutes": minutes,
            "chain_s_median": round(statistics.median(chain_s), 2), "seal_s_median": round(statistics.median(seal_s), 2),
            "per_minute_s_median": round(statistics.median(total), 2), "per_minute_s_max": round(max(total), 2),
            "share_of_a_minute_median": f"{statistics.median(total) / 60:.1%}"}


def verification(project_id: int) -> dict:
    from apps.audit import decisions
    from apps.audit.models import AuditCheckpoint

    began = time.perf_counter()
    report = decisions.verify(project_id)
    whole = time.perf_counter() - began
    assert report.ok, report.first_break
    middle = AuditCheckpoint.objects.filter(stream=decisions.stream(project_id)).order_by("number")[
        report.checkpoints // 2]
    began = time.perf_counter()
    assert decisions.verify(project_id, middle.first_seq, middle.last_seq).ok
    one_checkpoint = time.perf_counter() - began
    return {"records": report.records, "checkpoints": report.checkpoints, "verify_whole_s": round(whole, 1),
            "records_per_s": round(report.records / whole), "verify_one_checkpoint_s": round(one_checkpoint, 2)}


def offline_bundle(project_id: int, folder: Path) -> dict:
    """The auditor's path: a bundle of every decision, then its verifier run on it alone."""
    import subprocess

    from apps.audit import bundles, decisions

    path = folder / "decisions-bundle.zip"
    began = time.perf_counter()
    with path.open("wb") as out:
        for chunk in bundles.bundle_chunks(project_id, [bundles.decision_stream(project_id, decisions.DecisionFilter())],
                                           ""):
            out.write(chunk)
    written = time.perf_counter() - began
    began = time.perf_counter()
    ran = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=3600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return {"bundle_mb": round(path.stat().st_size / 1e6, 1), "bundle_write_s": round(written, 1),
            "offline_verify_s": round(time.perf_counter() - began, 1), "offline_output": ran.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=17)
    args = parser.parse_args()
    warehouse = open_data_folder(None, "inferops-auditbench-")
    from django.conf import settings

    from apps.core.services import project_create

    settings.AUDIT_DECISION_SETTLE_SECONDS = 0
    project = project_create("bench")
    out = {"sealing": seal_minutes(warehouse, project.pk, args.minutes)}
    print(json.dumps(out), flush=True)
    out["verification"] = verification(project.pk)
    print(json.dumps(out), flush=True)
    out["offline"] = offline_bundle(project.pk, Path(os.environ["INFEROPS_DATA_DIR"]))
    (ROOT / "bench" / "results" / "audit_latest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
