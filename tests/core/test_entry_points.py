"""The process entry points operators and scripts rely on: serve (all-in-one), ingest and web
(distributed), migrate_warehouse --dry-run; clean stop on SIGINT and SIGTERM."""

import json
import signal
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command

from tests.processes import ROOT, manage, process_env, start

FIXTURES = ROOT.parent / "shared" / "fixtures" / "otlp"


@pytest.mark.clickhouse
def test_migrate_warehouse_dry_run_reports_nothing_pending(warehouse):
    out = StringIO()
    call_command("migrate_warehouse", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "-- no pending migrations"


@pytest.fixture
def env(tmp_path):
    env = process_env(tmp_path, "entry-points")
    manage(env, "migrate", "--noinput")
    return env


def _get(port: str, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_serve_hosts_web_and_receivers_and_stops_on_sigint(env):
    server = start(env)
    try:
        assert _get(env["INFEROPS_WEB_PORT"], "/healthz") == (200, b'{"status": "ok"}')
        status, page = _get(env["INFEROPS_WEB_PORT"], "/")
        assert status == 200 and b"Sign in" in page
    finally:
        server.send_signal(signal.SIGINT)
    assert server.wait(60) == 0


@pytest.mark.slow
def test_distributed_entry_points_run_separately(env):
    manage(env, "migrate_warehouse")
    manage(env, "create_project", "split")
    key = manage(env, "create_ingest_key", "--project", "split")
    ingest = start(env, "ingest")
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{env['INFEROPS_OTLP_HTTP_PORT']}/v1/logs",
            data=(FIXTURES / "logs.json").read_bytes(), method="POST",
            headers={"Content-Type": "application/json", "x-inferops-key": key})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert (response.status, json.loads(response.read())) == (200, {})
    finally:
        ingest.send_signal(signal.SIGTERM)
    assert ingest.wait(60) == 0
    # chDB folders belong to one process: the web process starts once ingest has let go.
    web = start(env, "web")
    try:
        assert _get(env["INFEROPS_WEB_PORT"], "/healthz")[0] == 200
    finally:
        web.send_signal(signal.SIGTERM)
    assert web.wait(60) == 0
