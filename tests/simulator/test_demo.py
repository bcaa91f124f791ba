"""The demo traffic of `manage.py serve`: one labelled project, created once and reused, whose simulator
stops cleanly with the server and never blocks it."""

import json
import signal
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import manage, process_env, start

pytestmark = pytest.mark.slow

DEMO_STATE = """
from datetime import timedelta
from django.utils import timezone
from apps.core.models import Project
from apps.telemetry.selectors import ingest_accounting
demo = Project.objects.filter(is_demo=True)
now = timezone.now()
print(demo.count(), ingest_accounting(demo[0].pk, now - timedelta(days=1), now + timedelta(hours=1))[0].accepted,
      demo[0].name)
"""


def serve_until_live(env: dict, truth_path: Path) -> tuple[str, dict]:
    """Run serve until the demo simulator has gone live, checking the server answers all along."""
    server = start(env)
    lines: list[str] = []
    drain = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    drain.start()
    health = f"http://127.0.0.1:{env['INFEROPS_WEB_PORT']}/healthz"
    deadline = time.monotonic() + 180
    try:
        while not (truth_path.exists() and json.loads(truth_path.read_text())["phase"] == "live"):
            assert time.monotonic() < deadline, "the demo simulator never went live:\n" + "".join(lines)
            assert urllib.request.urlopen(health, timeout=10).status == 200
            time.sleep(0.5)
        time.sleep(3)
    finally:
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(60)
    assert returncode == 0, "".join(lines)
    drain.join(10)
    return "".join(lines), json.loads(truth_path.read_text())


def demo_state(env: dict) -> tuple[int, int, str]:
    count, accepted, name = manage(env, "shell", "--no-imports", "-c", DEMO_STATE).splitlines()[-1].split(" ", 2)
    return int(count), int(accepted), name


def test_the_demo_project_is_created_once_filled_and_reused(tmp_path):
    env = {**process_env(tmp_path, "demo"), "INFEROPS_DEMO": "1", "INFEROPS_DEMO_BACKFILL": "20m",
           "INFEROPS_DEMO_RATE": "30"}
    truth_path = tmp_path / "simulator" / "ground_truth-demo.json"

    output, first = serve_until_live(env, truth_path)
    assert "InferOps stopped" in output
    assert first["phase"] == "stopped" and first["config"]["backfill_s"] == 1200
    assert first["sent"]["spans"] > 0 and first["sent"]["spans_failed"] == 0
    assert demo_state(env)[0] == 1

    truth_path.unlink()
    _, second = serve_until_live(env, truth_path)
    assert second["config"]["backfill_s"] == 0          # history is written once, when the project is new
    count, accepted, name = demo_state(env)
    assert (count, name) == (1, "Demo (simulated traffic)")
    assert accepted == first["sent"]["spans"] + second["sent"]["spans"]
