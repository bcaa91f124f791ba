"""One simulation run: an optional backfill of history, then live traffic until stopped.

Time moves in ticks of one metrics interval. Each tick's traces come from ``TrafficGenerator``
(seeded per tick); each tick ends with one scrape of GPU and server metrics, whose counters are
cumulative and so are built in order by this process. A backfill hands hour-long slices of
traces to worker processes — the OTel SDK's encoder is pure Python and needs more than one core
to write days of history in minutes — while this process writes the metrics. In live mode a
trace is sent when its last span has ended in wall-clock time, as an instrumented service would.
"""

import heapq
import json
import logging
import math
import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .emit import BlockingBatchProcessor, ExportPipeline, SeededIds, SpanEmitter, Tally, Target
from .fleet import build_fleet
from .incidents import KINDS, Incident, IncidentSchedule, backfill_schedule
from .metrics import XID_PER_GPU_PER_S, FleetMetrics, merge_metrics
from .serving import load_shape
from .traffic import TrafficGenerator, slice_rng
from .workload import TraceSpec

logger = logging.getLogger(__name__)
SLICE_S = 3600.0               # a backfill work unit
SCRAPES_PER_EXPORT = 60        # backfill: metrics scrapes (an hour of history) sent in one request
BACKFILL_BATCH = 4096          # backfill: spans per export request
LIVE_REPORT_S = 30.0           # live: how often the ground-truth file is rewritten


@dataclass(frozen=True)
class SimulationConfig:
    target: Target
    ground_truth: Path
    project: str = ""
    seed: int = 42
    rate: float = 50.0                 # live: spans per second, steady
    backfill_s: float = 0.0            # seconds of history to write before going live
    backfill_rate: float = 3.0         # backfill: spans per second of history, at the weekly mean
    live_s: float | None = None        # None: until stopped; 0: no live phase
    end: float | None = None           # the instant the backfill ends (default: now)
    legacy_share: float = 0.25
    incidents: bool = True
    incident_every_s: float = 1200.0   # live: one incident this often
    incident_duration_s: float = 300.0
    live_interval_s: float = 15.0      # metrics interval (and tick) in live mode
    backfill_interval_s: float = 60.0  # metrics interval (and tick) in a backfill
    spontaneous_faults: bool = True    # XID errors at a real fleet's rate, outside the incident schedule
    fleet_size: int = 1
    workers: int = 2                   # backfill processes (1: all in this process)
    environment: str = "demo"


class _SliceWriter:
    """Generates and sends the traces of backfill slices (in a worker process, or inline)."""

    def __init__(self, config: SimulationConfig, incidents: list[Incident], epoch: float):
        self.config = config
        fleet = build_fleet(config.fleet_size)
        self.generator = TrafficGenerator(fleet, IncidentSchedule(incidents), config.seed, config.legacy_share,
                                          config.fleet_size, epoch)
        self.ids = SeededIds(random.Random(config.seed))
        # Two requests in flight, so that the server's group commit can put them in one insert.
        self.pipeline = ExportPipeline(config.target, workers=2)
        self.emitter = SpanEmitter(fleet.services, BlockingBatchProcessor(self.pipeline, BACKFILL_BATCH), self.ids,
                                   config.environment)

    def write(self, start: float, end: float) -> Tally:
        tally = Tally()
        interval = self.config.backfill_interval_s
        for tick in _ticks(start, end, interval):
            self.ids.rng = slice_rng(self.config.seed, "ids", tick)
            traces = self.generator.traces(tick, min(tick + interval, end),
                                           self.config.backfill_rate * load_shape(tick))
            for trace in traces:
                self.emitter.emit(trace)
            tally.count(traces)
        self.emitter.flush()
        self.pipeline.drain()
        tally.add(self.pipeline.take_sent())
        return tally

    def close(self) -> None:
        self.pipeline.close()


_worker: _SliceWriter | None = None


def _worker_start(config: SimulationConfig, incidents: list[Incident], epoch: float) -> None:
    global _worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent decides when to stop
    _worker = _SliceWriter(config, incidents, epoch)


def _worker_write(start: float, end: float) -> Tally:
    assert _worker is not None
    return _worker.write(start, end)


class Simulation:
    def __init__(self, config: SimulationConfig, stop: threading.Event | None = None,
                 on_progress: Callable[[dict], None] | None = None):
        self.config = config
        self.stop = stop or threading.Event()
        self.on_progress = on_progress or (lambda _: None)
        self.fleet = build_fleet(config.fleet_size)
        self.schedule = IncidentSchedule()
        end = config.end or time.time()
        begin = _floor(end - config.backfill_s, config.backfill_interval_s)
        self.generator = TrafficGenerator(self.fleet, self.schedule, config.seed, config.legacy_share,
                                          config.fleet_size, begin)
        self.window = (begin, end)
        self.metrics = FleetMetrics(self.fleet, random.Random(config.seed), begin,
                                    XID_PER_GPU_PER_S if config.spontaneous_faults else 0.0)
        self.tally = Tally()
        self.phase = "starting"
        self.simulated_until = begin

    def run(self) -> dict:
        """Backfill, then live, until the configured end or ``stop``; returns the ground truth."""
        begin, end = self.window
        self.pipeline = ExportPipeline(self.config.target, workers=1)
        try:
            if self.config.backfill_s > 0:
                self._backfill(begin, end)
            if self.config.live_s != 0 and not self.stop.is_set():
                self._live(end)
        finally:
            self.pipeline.close()
            self.tally.add(self.pipeline.take_sent())
            self.phase = "stopped" if self.stop.is_set() else "finished"
            truth = self.write_ground_truth()
        return truth

    # -- backfill -------------------------------------------------------------------------------

    def _backfill(self, begin: float, end: float) -> None:
        self.phase = "backfill"
        if self.config.incidents:
            self.schedule.incidents.extend(backfill_schedule(begin, end, random.Random(self.config.seed)).incidents)
        self.write_ground_truth()
        slices = [(s, min(s + SLICE_S, end)) for s in _ticks(begin, end, SLICE_S)]
        if self.config.workers <= 1:
            self._backfill_inline(slices)
        else:
            self._backfill_parallel(slices)

    def _backfill_inline(self, slices: list[tuple[float, float]]) -> None:
        writer = _SliceWriter(self.config, self.schedule.incidents, self.window[0])
        try:
            for start, end in slices:
                if self.stop.is_set():
                    break
                self.tally.add(writer.write(start, end))
                self._scrape(start, end, self.config.backfill_interval_s)
                self._report(end)
        finally:
            writer.close()

    def _backfill_parallel(self, slices: list[tuple[float, float]]) -> None:
        context = multiprocessing.get_context("spawn")     # never fork a process that may hold chDB
        with ProcessPoolExecutor(self.config.workers, mp_context=context, initializer=_worker_start,
                                 initargs=(self.config, self.schedule.incidents, self.window[0])) as pool:
            pending: set[Future] = {pool.submit(_worker_write, start, end) for start, end in slices}
            for start, end in slices:
                if self.stop.is_set():
                    break
                self._scrape(start, end, self.config.backfill_interval_s)
                pending = self._collect(pending, timeout=0)
            while pending and not self.stop.is_set():
                pending = self._collect(pending, timeout=1.0)
            for future in pending:
                future.cancel()

    def _collect(self, pending: set[Future], timeout: float) -> set[Future]:
        done, still = wait_futures(pending, timeout=timeout)
        for future in done:
            if not future.cancelled():
                self.tally.add(future.result())
        if done:
            self._report(self.simulated_until)
        return still

    def _scrape(self, start: float, end: float, interval: float, per_export: int = SCRAPES_PER_EXPORT) -> None:
        """Metrics for every tick in [start, end), several scrapes per export request (as a Collector's
        batch processor would send them): each request costs the server one insert."""
        scrapes = []
        for tick in _ticks(start, end, interval):
            tick_end = min(tick + interval, end)
            self.metrics.rng = slice_rng(self.config.seed, "metrics", tick - self.window[0])
            scrapes.append(self.metrics.collect(tick_end, tick_end - tick, self.generator.states(tick)))
            if len(scrapes) >= per_export:
                self.pipeline.metrics(merge_metrics(scrapes))
                scrapes = []
        if scrapes:
            self.pipeline.metrics(merge_metrics(scrapes))
        self.simulated_until = max(self.simulated_until, end)

    def _report(self, until: float) -> None:
        begin, end = self.window
        self.on_progress({"phase": self.phase, "traces": self.tally.traces, "spans": self.tally.spans,
                          "simulated_until": _iso(until),
                          "done": round(min(1.0, (until - begin) / max(end - begin, 1.0)), 3)})

    # -- live -----------------------------------------------------------------------------------

    def _live(self, since: float) -> None:
        """Steady traffic in wall-clock time; catches up first if the backfill took a while."""
        self.phase = "live"
        config = self.config
        interval = config.live_interval_s
        ids = SeededIds(slice_rng(config.seed, "ids", since))
        emitter = SpanEmitter(self.fleet.services, BlockingBatchProcessor(self.pipeline, batch_size=512), ids,
                              config.environment)
        deadline = None if config.live_s is None else time.time() + config.live_s
        pending: list[tuple[float, int, TraceSpec]] = []
        tick = since
        kinds = list(KINDS)
        random.Random(config.seed).shuffle(kinds)
        next_incident = since + config.incident_every_s
        next_report = 0.0
        while not self.stop.is_set() and (deadline is None or time.time() < deadline):
            now = time.time()
            if now >= next_report:      # the ground truth shows a live run's progress
                self.tally.add(self.pipeline.take_sent())
                self.write_ground_truth()
                next_report = now + LIVE_REPORT_S
            while tick + interval <= now:
                if config.incidents and tick >= next_incident:
                    self.schedule.add(kinds[len(self.schedule.incidents) % len(kinds)], _floor(tick, 60),
                                      config.incident_duration_s)
                    self.write_ground_truth()
                    next_incident = tick + config.incident_every_s
                traces = self.generator.traces(tick, tick + interval, config.rate)
                self.tally.count(traces)
                for trace in traces:
                    heapq.heappush(pending, (trace.end, id(trace), trace))
                self._scrape(tick, tick + interval, interval, per_export=1)
                tick += interval
            while pending and pending[0][0] <= now:
                emitter.emit(heapq.heappop(pending)[2])
            emitter.flush()
            self.window = (self.window[0], now)
            self.stop.wait(min(1.0, max(0.05, tick + interval - time.time())))

    # -- ground truth ---------------------------------------------------------------------------

    def write_ground_truth(self) -> dict:
        """Write what this run sent and the incidents in it, atomically, and return it."""
        begin, end = self.window
        tally = self.tally
        truth = {
            "seed": self.config.seed,
            "project": self.config.project,
            "generated_at": _iso(time.time()),
            "phase": self.phase,
            "window": {"start": _iso(begin), "end": _iso(max(end, self.simulated_until))},
            "config": {"rate": self.config.rate, "backfill_s": self.config.backfill_s,
                       "backfill_rate": self.config.backfill_rate, "legacy_share": self.config.legacy_share,
                       "fleet_size": self.config.fleet_size, "protocol": self.config.target.protocol},
            "fleet": self.fleet.summary(),
            "incidents": self.schedule.ground_truth(),
            "generated": {"traces": tally.traces, "spans": tally.spans,
                          "traces_by_tenant": dict(sorted(tally.traces_by_tenant.items()))},
            "sent": {"spans": tally.sent["spans"], "spans_failed": tally.sent["spans_failed"],
                     "metric_requests": tally.sent["metric_requests"],
                     "metric_requests_failed": tally.sent["metric_requests_failed"],
                     "spans_by_service": dict(sorted(tally.spans_by_service.items()))},
            "metrics": {"points": self.metrics.points, "histogram_points": self.metrics.histogram_points,
                        "xid_events": self.metrics.xid_events},
        }
        path = self.config.ground_truth
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps(truth, indent=2))
        os.replace(scratch, path)
        return truth


def _ticks(start: float, end: float, step: float):
    tick = start
    while tick < end:
        yield tick
        tick += step


def _floor(t: float, step: float) -> float:
    return math.floor(t / step) * step


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")
