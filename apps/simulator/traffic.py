"""Which traces arrive in a time slice — pure and seeded per slice.

Every slice [start, end) draws from its own RNG, seeded by (run seed, slice start), so a run is
the same whether one process generates it or several generate interleaved slices of it.
"""

import random

from .fleet import Fleet
from .incidents import IncidentSchedule
from .serving import ReplicaState, replica_states, service_rps
from .workload import TraceSpec, Workload

SPANS_PER_TRACE = 7.4          # measured mean over the default mix; turns a span rate into a trace rate
_CALM = IncidentSchedule().effects(0.0)


def slice_rng(seed: int, purpose: str, at: float) -> random.Random:
    """The random stream of one slice. What the data looks like is seeded by the slice's offset from the
    simulation's start, so that a seed writes the same run wherever in time it is placed; trace and span
    ids by the slice's own time, so that two runs of one seed never share an id."""
    return random.Random(f"{seed}:{purpose}:{at:.3f}")


class TrafficGenerator:
    def __init__(self, fleet: Fleet, schedule: IncidentSchedule, seed: int, legacy_share: float, fleet_size: int,
                 epoch: float = 0.0):
        self.fleet = fleet
        self.epoch = epoch
        self.schedule = schedule
        self.seed = seed
        self.fleet_size = fleet_size
        self.workload = Workload(fleet, random.Random(seed), legacy_share)
        self._weights = {tenant.id: tenant.weight for tenant in fleet.tenants}

    def states(self, t: float) -> dict[str, ReplicaState]:
        return replica_states(self.fleet, t, self.fleet_size, self.schedule.effects(t))

    def traces(self, start: float, end: float, span_rate: float) -> list[TraceSpec]:
        """The traces arriving in [start, end) at ``span_rate`` spans/s of calm traffic.

        Incidents that add traffic (a tenant's spike) add traces; the sample keeps its ratio to
        the real load, it does not take traces away from the others.
        """
        effects = self.schedule.effects(start)
        states = replica_states(self.fleet, start, self.fleet_size, effects)
        service_weights = [service_rps(s, start, 1, self._weights, effects) for s in self.fleet.services]
        calm = sum(service_rps(s, start, 1, self._weights, _CALM) for s in self.fleet.services)
        trace_rate = span_rate / SPANS_PER_TRACE * sum(service_weights) / calm
        rng = slice_rng(self.seed, "traffic", start - self.epoch)
        self.workload.rng = rng
        traces = []
        t = start + rng.expovariate(trace_rate)
        while t < end:
            service = self.workload.pick_service(service_weights)
            traces.append(self.workload.trace(service, t, effects, states))
            t += rng.expovariate(trace_rate)
        return traces
