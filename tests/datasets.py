"""Shared, session-scoped telemetry written through the real ingest path (OTel SDK exporters → the
ingest server → chDB), for tests that read: dashboards, trace search, the trace view, the browser.

The warehouse keeps the data for the whole session. The Django rows written to ingest it are removed
again at once (other tests expect an empty database), and ``explore_project`` re-creates the project
row with the same id inside each test that needs it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from opentelemetry import trace as otel_trace

from apps.core.models import KeyKind, Project
from apps.core.services import api_key_create, organisation_get_or_create, project_create
from apps.simulator.emit import Target
from apps.simulator.runner import Simulation, SimulationConfig
from tests.ingest.otel_clients import span_exporter, tracer_provider

XSS_NAME = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
XSS_VALUE = '<b onmouseover="window.__xss = 3">bold</b><iframe src="javascript:window.__xss = 4"></iframe>'


@dataclass(frozen=True)
class Dataset:
    project_id: int
    name: str
    slug: str
    truth: dict
    xss_trace_id: str
    ended: datetime


def _xss_trace(server, key: str) -> str:
    """One small trace whose names and attributes are hostile HTML, sent with the real SDK."""
    provider = tracer_provider(span_exporter("http", server, key), **{"service.name": "<svc onload=alert(1)>"})
    tracer = provider.get_tracer("tests.xss")
    with tracer.start_as_current_span(XSS_NAME, kind=otel_trace.SpanKind.SERVER) as root:
        root.set_attribute("evil.attr", XSS_VALUE)
        root.set_attribute("tenant.id", "xss-tenant")
        with tracer.start_as_current_span("chat <i>gpt</i>") as child:
            child.set_attribute("gen_ai.operation.name", "chat")
            child.set_attribute("gen_ai.request.model", "<u>model</u>")
            child.add_event("<event onclick=x>", {"message": XSS_VALUE})
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


GPU_HOURLY = {"H100": "2.49", "H200": "3.10", "A100": "1.29", "L4": "0.45"}


def cost_backfill(project: Project, truth: dict) -> None:
    """Price the fleet's GPUs and cost the whole backfill into the ledger, as the cost job would."""
    from datetime import date, timedelta

    from apps.cost.models import CostRun, GpuPrice
    from apps.cost.services import cost_window, version_cut

    for gpu, hourly in GPU_HOURLY.items():
        GpuPrice.objects.create(project=project, name=f"{gpu} on demand", gpu_model=gpu, hourly_usd=hourly,
                                effective_from=date(2020, 1, 1))
    version_cut(project, "simulator fleet", None)
    start = datetime.fromisoformat(truth["window"]["start"].replace("Z", "+00:00")) - timedelta(minutes=2)
    cost_window(project, start, datetime.now(UTC) + timedelta(minutes=2), kind=CostRun.Kind.SWEEP)


@pytest.fixture(scope="session")
def explore_dataset(django_db_setup, django_db_blocker, ingest_server, tmp_path_factory) -> Dataset:
    # Unblocked throughout: the ingest server's threads look the key up in the database.
    with django_db_blocker.unblock():
        project = project_create("explore-dataset")
        key = api_key_create(project, kind=KeyKind.INGEST, name="dataset").plaintext
        config = SimulationConfig(
            target=Target(ingest_server.http_url, "http/protobuf", key),
            ground_truth=tmp_path_factory.mktemp("dataset") / "truth.json", project=project.name, seed=23,
            backfill_s=1800, backfill_rate=4.0, live_s=0, workers=1)
        truth = Simulation(config).run()
        xss_trace_id = _xss_trace(ingest_server, key)
        cost_backfill(project, truth)
        # Leave the database as tests expect to find it; explore_project re-creates the row inside a test.
        organisation, project_id = project.organisation, project.pk
        project.delete()
        if not organisation.projects.exists():
            organisation.delete()
    assert truth["sent"]["spans"] == truth["generated"]["spans"] > 0, truth["sent"]
    return Dataset(project_id, project.name, project.slug, truth, xss_trace_id, datetime.now(UTC))


@pytest.fixture
def explore_project(explore_dataset, db) -> Project:
    project, _ = Project.objects.get_or_create(pk=explore_dataset.project_id, defaults={
        "name": explore_dataset.name, "slug": explore_dataset.slug,
        "organisation": organisation_get_or_create("Default")})
    return project
