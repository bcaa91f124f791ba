"""manage.py simulate: realistic agentic inference traffic and GPU telemetry, sent through the OTel SDK."""

import argparse
import signal
import socket
import threading
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.selectors import project_by_name
from apps.core.services import project_create
from apps.simulator.durations import parse_duration
from apps.simulator.emit import Target
from apps.simulator.runner import Simulation, SimulationConfig
from apps.simulator.services import demo_project_ensure, simulator_key_issue, simulator_key_retire


class Command(BaseCommand):
    help = ("Simulate a fleet of LLM agents, hosted and self-hosted models and GPU nodes, with scheduled "
            "incidents, and send it to an InferOps ingest endpoint through the OpenTelemetry SDK exporters.")

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--demo", action="store_true", help="the labelled demo project (created once)")
        target.add_argument("--project", help="project name (created if missing)")
        parser.add_argument("--key", help="ingest key to use (default: a key issued for this run, revoked after)")
        parser.add_argument("--endpoint", help="OTLP endpoint (default: this machine's receiver for --protocol)")
        parser.add_argument("--protocol", choices=["http/protobuf", "grpc"], default="http/protobuf")
        parser.add_argument("--rate", type=float, default=50.0, help="live spans per second (default 50)")
        parser.add_argument("--backfill", type=_duration, default=0.0,
                            help="write this much history first, time-compressed: 7d, 36h, 90m")
        parser.add_argument("--backfill-if-new", type=_duration, default=0.0,
                            help="with --demo: backfill only when the demo project is created by this run")
        parser.add_argument("--backfill-rate", type=float, default=3.0,
                            help="spans per second of history at the weekly mean (default 3: 1.8M spans a week)")
        parser.add_argument("--duration", type=_duration, default=None,
                            help="live phase length (default: until stopped; 0 = no live phase)")
        parser.add_argument("--end", type=_instant, default=None, help="when the backfill ends (ISO 8601; default now)")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--legacy-share", type=float, default=0.25,
                            help="share of traces in older dialects: OpenInference, OpenLLMetry, deprecated GenAI")
        parser.add_argument("--no-incidents", action="store_true")
        parser.add_argument("--incident-every", type=_duration, default=1200.0, help="live mode (default 20m)")
        parser.add_argument("--incident-duration", type=_duration, default=300.0)
        parser.add_argument("--fleet-size", type=int, default=1, help="copies of each GPU node (default 1)")
        parser.add_argument("--workers", type=int, default=2,
                            help="processes that write a backfill (default 2; 1 = this process only)")
        parser.add_argument("--ground-truth", type=Path, help="where to write the ground-truth JSON")

    def handle(self, *args, **options):
        _check_ranges(options)
        _check_reachable(_endpoint(options))
        project, created = self._project(options)
        backfill = options["backfill"] or (options["backfill_if_new"] if created else 0.0)
        issued = None
        key = options["key"]
        if not key:
            issued = simulator_key_issue(project, revoke_stale=options["demo"])
            key = issued.plaintext
        config = _config(options, project.name, key, backfill)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"simulating into project {project.name!r} via {config.target.endpoint} "
                          f"({config.target.protocol}); ground truth: {config.ground_truth}")
        self.stdout.flush()
        try:
            truth = Simulation(config, stop, self._progress).run()
        finally:
            if issued is not None:
                simulator_key_retire(issued)
        sent = truth["sent"]
        self.stdout.write(f"done: {sent['spans']} spans sent ({sent['spans_failed']} refused), "
                          f"{sent['metric_requests']} metric exports, {len(truth['incidents'])} incidents")

    def _progress(self, progress: dict) -> None:
        self.stdout.write(f"{progress['phase']}: {progress['done']:.0%} up to {progress['simulated_until']}, "
                          f"{progress['traces']} traces, {progress['spans']} spans")
        self.stdout.flush()

    def _project(self, options):
        if options["demo"]:
            return demo_project_ensure()
        project = project_by_name(options["project"])
        if project is None:
            return project_create(options["project"]), True
        return project, False


def _endpoint(options: dict) -> str:
    if options["endpoint"]:
        return options["endpoint"]
    if options["protocol"] == "grpc":
        return f"127.0.0.1:{settings.OTLP_GRPC_PORT}"
    return f"http://127.0.0.1:{settings.OTLP_HTTP_PORT}"


def _config(options: dict, project: str, key: str, backfill: float) -> SimulationConfig:
    slug = "demo" if options["demo"] else project.replace("/", "_")
    return SimulationConfig(
        target=Target(_endpoint(options), options["protocol"], key),
        ground_truth=options["ground_truth"] or Path(settings.DATA_DIR) / "simulator" / f"ground_truth-{slug}.json",
        project=project, seed=options["seed"], rate=options["rate"], backfill_s=backfill,
        backfill_rate=options["backfill_rate"], live_s=options["duration"],
        end=options["end"].timestamp() if options["end"] else None, legacy_share=options["legacy_share"],
        incidents=not options["no_incidents"], incident_every_s=options["incident_every"],
        incident_duration_s=options["incident_duration"], fleet_size=options["fleet_size"],
        workers=options["workers"], environment="demo" if options["demo"] else "simulation",
    )


def _check_ranges(options: dict) -> None:
    checks = [
        (options["rate"] > 0, "--rate must be above 0"),
        (options["backfill_rate"] > 0, "--backfill-rate must be above 0"),
        (0 <= options["legacy_share"] <= 1, "--legacy-share is a share between 0 and 1"),
        (1 <= options["fleet_size"] <= 64, "--fleet-size is 1–64"),
        (1 <= options["workers"] <= 32, "--workers is 1–32"),
        (options["incident_every"] > 0 and options["incident_duration"] > 0, "incident times must be above 0"),
        (options["backfill_if_new"] == 0 or options["demo"], "--backfill-if-new needs --demo"),
    ]
    for ok, message in checks:
        if not ok:
            raise CommandError(message)


def _check_reachable(endpoint: str) -> None:
    """Fail at once, with the fix, when nothing listens: exporters would only retry and drop."""
    address = endpoint.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=3).close()
    except (OSError, ValueError) as exc:
        raise CommandError(f"no OTLP receiver at {endpoint} ({exc}); start InferOps with bin/run "
                           "or pass --endpoint") from exc


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or an offset")
    return moment
