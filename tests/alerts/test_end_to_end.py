"""Bad traffic through OTLP → the SLO pages once → every channel kind receives it (through Celery) →
traffic recovers → every channel receives the resolution. Checked at the receivers."""

import time
from datetime import timedelta

import pytest

from apps.alerts import services
from apps.alerts.models import Delivery
from apps.slo.evaluation import slo_evaluate
from apps.slo.services import slo_create
from inferops_site.celery import app
from tests.alerts.receivers import Receiver
from tests.slo.test_slo_alerting import T, send_requests

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
KINDS = ("pagerduty", "alertmanager", "slack", "webhook")


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def receivers():
    servers = {kind: Receiver() for kind in KINDS}
    yield servers
    for server in servers.values():
        server.close()


def test_a_page_and_its_resolution_reach_every_channel_once(ingest_server, ingest_key, project, receivers,
                                                            eager_celery):
    for kind, receiver in receivers.items():
        config = {"url": receiver.url, **({"routing_key": "K" * 32} if kind == "pagerduty" else {})}
        services.channel_create(project, name=kind, kind=kind, config=config, severities=["page"])
    slo = slo_create(project, name="checkout availability", sli_kind="availability", objective="0.999")
    send_requests(ingest_server, ingest_key, range(-70, 0), bad={-2, -1})

    slo_evaluate(slo, T)
    slo_evaluate(slo, T + timedelta(seconds=30))                   # the same episode: nothing new to send
    assert {kind: len(r.requests) for kind, r in receivers.items()} == dict.fromkeys(KINDS, 1)
    assert receivers["pagerduty"].requests[0].json()["event_action"] == "trigger"
    assert receivers["alertmanager"].requests[0].json()["status"] == "firing"
    assert receivers["webhook"].requests[0].json()["type"] == "slo.alert.firing"

    slo_evaluate(slo, T + timedelta(minutes=40))                   # both page windows have cooled down
    # Slack takes one message a second per webhook: a resolution right after the firing may wait its
    # turn (test_delivery checks that throttle); the sweep sends whatever is due by then.
    time.sleep(1.1)
    services.deliveries_sweep()
    assert {kind: len(r.requests) for kind, r in receivers.items()} == dict.fromkeys(KINDS, 2)
    assert receivers["pagerduty"].requests[1].json()["event_action"] == "resolve"
    assert receivers["alertmanager"].requests[1].json()["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"
    assert receivers["webhook"].requests[1].json()["type"] == "slo.alert.resolved"
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
