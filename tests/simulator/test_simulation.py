"""The simulator end to end: real OTel SDK exporters → the real ingest server → chDB, checked against
the ground truth it wrote."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.simulator.emit import Target
from apps.simulator.runner import Simulation, SimulationConfig
from apps.simulator.verify import verify

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]


def test_a_backfill_lands_with_its_shapes_tenants_metrics_and_incidents(ingest_server, project, ingest_key, tmp_path):
    # The load follows the day and the week: the hour ends on a Wednesday at 14:00 UTC one to two weeks
    # ago, so that every run sees the same traffic (with the seed) instead of whatever the clock gives.
    today = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    end = today - timedelta(days=(today.weekday() - 2) % 7 + 7)
    config = SimulationConfig(
        target=Target(ingest_server.http_url, "http/protobuf", ingest_key), ground_truth=tmp_path / "truth.json",
        project=project.name, seed=11, backfill_s=3600, backfill_rate=6.0, live_s=0, workers=1,
        end=end.timestamp())
    truth = Simulation(config).run()

    assert json.loads((tmp_path / "truth.json").read_text()) == truth
    assert truth["sent"]["spans"] == truth["generated"]["spans"] > 10_000
    assert len(truth["incidents"]) == 6
    failed = [check for check in verify(project.pk, truth) if not check.ok]
    assert failed == []


def test_live_mode_over_grpc_sends_finished_traces_and_stops_promptly(ingest_server, project, ingest_key, tmp_path):
    config = SimulationConfig(
        target=Target(f"127.0.0.1:{ingest_server.grpc_port}", "grpc", ingest_key), ground_truth=tmp_path / "live.json",
        project=project.name, seed=5, rate=300.0, live_interval_s=1.0, incident_every_s=2.0,
        incident_duration_s=60.0, workers=1)
    stop = threading.Event()
    simulation = Simulation(config, stop)
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(simulation.run()))
    runner.start()
    time.sleep(12)   # agent requests take 2–15 s; a trace is sent once its last span ended
    stopped_at = time.monotonic()
    stop.set()
    runner.join(30)

    assert not runner.is_alive() and time.monotonic() - stopped_at < 10
    assert result["phase"] == "stopped"
    assert result["sent"]["spans"] > 300 and result["sent"]["spans_failed"] == 0
    assert result["incidents"], "a live incident was scheduled"
    checks = {check.name: check for check in verify(project.pk, result)}
    assert checks["spans stored = spans sent"].ok, checks["spans stored = spans sent"].detail
    assert checks["metric points stored = sent"].ok, checks["metric points stored = sent"].detail
