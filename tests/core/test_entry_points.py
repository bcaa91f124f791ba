"""The process entry points operators and scripts rely on: serve (all-in-one), ingest and web
(distributed), migrate_warehouse --dry-run; clean stop on SIGINT and SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.ingest.test_kill9_durability import _free_port, _manage, _start

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "otlp"


@pytest.mark.clickhouse
def test_migrate_warehouse_dry_run_reports_nothing_pending(warehouse):
    out = StringIO()
    call_command("migrate_warehouse", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "-- no pending migrations"


@pytest.fixture
def process_env(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inferops_site.settings", "INFEROPS_DATA_DIR": str(tmp_path),
           "INFEROPS_SECRET_KEY": "entry-points", "INFEROPS_WEB_PORT": str(_free_port()),
           "INFEROPS_OTLP_HTTP_PORT": str(_free_port()), "INFEROPS_OTLP_GRPC_PORT": str(_free_port())}
    env.pop("DATABASE_URL", None)
    _manage(env, "migrate", "--noinput")
    return env


def _get(port: str, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_serve_hosts_web_and_receivers_and_stops_on_sigint(process_env):
    server = _start(process_env)
    try:
        assert _get(process_env["INFEROPS_WEB_PORT"], "/healthz") == (200, b'{"status": "ok"}')
        status, page = _get(process_env["INFEROPS_WEB_PORT"], "/")
        assert status == 200 and b"Sign in" in page
    finally:
        server.send_signal(signal.SIGINT)
    assert server.wait(60) == 0


@pytest.mark.slow
def test_distributed_entry_points_run_separately(process_env):
    _manage(process_env, "migrate_warehouse")
    _manage(process_env, "create_project", "split")
    key = _manage(process_env, "create_ingest_key", "--project", "split")
    ingest = subprocess.Popen([sys.executable, "manage.py", "ingest"], cwd=ROOT, env=process_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert any(line.strip() == "READY" for line in ingest.stdout)
        request = urllib.request.Request(
            f"http://127.0.0.1:{process_env['INFEROPS_OTLP_HTTP_PORT']}/v1/logs",
            data=(FIXTURES / "logs.json").read_bytes(), method="POST",
            headers={"Content-Type": "application/json", "x-inferops-key": key})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert (response.status, json.loads(response.read())) == (200, {})
    finally:
        ingest.send_signal(signal.SIGTERM)
    assert ingest.wait(60) == 0
    # chDB folders belong to one process: the web process starts once ingest has let go.
    web = subprocess.Popen([sys.executable, "manage.py", "web"], cwd=ROOT, env=process_env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert any(line.strip() == "READY" for line in web.stdout)
        assert _get(process_env["INFEROPS_WEB_PORT"], "/healthz")[0] == 200
    finally:
        web.send_signal(signal.SIGTERM)
    assert web.wait(60) == 0
