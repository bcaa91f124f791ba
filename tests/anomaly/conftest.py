"""Three hours of simulated traffic with one fifteen-minute incident of each kind, written through the
real ingest path (and costed into the ledger) once per test session: the scan and the diagnosis ground-truth tests read it."""

import time
from datetime import UTC, datetime

import pytest

from apps.core.models import KeyKind, Project
from apps.core.services import api_key_create, organisation_get_or_create, project_create
from apps.simulator.emit import Target
from apps.simulator.runner import Simulation, SimulationConfig
from tests.datasets import cost_backfill


def weekly_anchor(now: float) -> float:
    """The latest Tuesday 17:00 UTC: the simulation's random streams are seeded by the offset from its
    start, so the dataset ending there is the same run after run (the same busy weekday afternoon, the same
    draws), only moved by whole weeks, and a diagnosis that holds once holds every time."""
    week, tuesday_five_pm = 7 * 86_400, 5 * 86_400 + 17 * 3_600      # the Unix epoch fell on a Thursday
    return now - (now - tuesday_five_pm) % week


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="session")
def incidents_dataset(django_db_setup, django_db_blocker, ingest_server, tmp_path_factory):
    with django_db_blocker.unblock():
        project = project_create("scan-dataset")
        key = api_key_create(project, kind=KeyKind.INGEST, name="dataset").plaintext
        config = SimulationConfig(target=Target(ingest_server.http_url, "http/protobuf", key),
                                  ground_truth=tmp_path_factory.mktemp("scan") / "truth.json", project=project.name,
                                  seed=31, backfill_s=3 * 3600, backfill_rate=10.0, live_s=0, workers=1,
                                  end=weekly_anchor(time.time()),
                                  # A spontaneous XID (in about one run in three at a real fleet's rate, at a time
                                  # set by the wall clock) is a real fault the scan rightly reports, but a
                                  # second cause the ground truth does not pin: these tests hold the scan to
                                  # the injected incidents alone (tests/anomaly/test_series.py covers XIDs).
                                  spontaneous_faults=False)
        truth = Simulation(config).run()
        cost_backfill(project, truth)         # the cost-per-hour series read the ledger
        identity = (project.pk, project.name, project.slug)
        organisation = project.organisation
        project.delete()
        if not organisation.projects.exists():
            organisation.delete()
    return identity, truth


@pytest.fixture
def scan_project(incidents_dataset):
    (pk, name, slug), truth = incidents_dataset
    project = Project.objects.create(pk=pk, name=name, slug=slug, organisation=organisation_get_or_create("Default"))
    return project, truth


