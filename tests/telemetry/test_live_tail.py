"""The live socket: members get traces as they are stored through OTLP; others are refused."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from apps.core.services import membership_set
from apps.telemetry import live
from apps.telemetry.routing import websocket_urlpatterns
from tests.ingest.otel_clients import span_exporter, tracer_provider

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]


def socket(project_id: int, user) -> ApplicationCommunicator:
    return ApplicationCommunicator(URLRouter(websocket_urlpatterns), {
        "type": "websocket", "path": f"/ws/projects/{project_id}/live", "user": user, "headers": [],
        "subprotocols": []})


async def _connect(sock) -> dict:
    await sock.send_input({"type": "websocket.connect"})
    return await sock.receive_output(5)


async def _until(sock, wanted, timeout_s: float = 20.0) -> dict:
    while True:
        message = json.loads((await sock.receive_output(timeout_s))["text"])
        if wanted(message):
            return message


def _send_trace(server, key: str, name: str) -> str:
    provider = tracer_provider(span_exporter("http", server, key))
    with provider.get_tracer("tests.live").start_as_current_span(name) as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


def test_a_member_sees_a_new_trace_and_the_committed_tick(project, ingest_key, ingest_server):
    user = get_user_model().objects.create_user("live-viewer", password="pw-123456789")
    membership_set(project, user, "viewer")

    async def scenario():
        sock = socket(project.pk, user)
        assert (await _connect(sock))["type"] == "websocket.accept"
        await live.committed(project.pk, "metrics", 3)
        tick = await _until(sock, lambda m: m["type"] == "committed")
        trace_id = await asyncio.to_thread(_send_trace, ingest_server, ingest_key, "POST /live <b>tail</b>")
        pushed = await _until(sock, lambda m: m["type"] == "traces" and any(t["trace_id"] == trace_id
                                                                              for t in m["traces"]))
        await sock.send_input({"type": "websocket.disconnect", "code": 1000})
        await sock.wait(1)
        return tick, trace_id, pushed

    tick, trace_id, pushed = async_to_sync(scenario)()
    assert tick == {"type": "committed", "signal": "metrics", "items": 3}
    row = next(t for t in pushed["traces"] if t["trace_id"] == trace_id)
    assert row["root_name"] == "POST /live <b>tail</b>" and row["spans"] == 1


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_non_members_are_refused(project, who):
    user = AnonymousUser() if who == "anonymous" else get_user_model().objects.create_user("outsider-live")

    async def scenario():
        return await _connect(socket(project.pk, user))

    reply = async_to_sync(scenario)()
    assert reply["type"] == "websocket.close" and reply["code"] == 4403


def test_a_member_removed_while_listening_is_cut_off(project):
    user = get_user_model().objects.create_user("live-leaver", password="pw-123456789")
    membership = membership_set(project, user, "viewer")

    async def scenario():
        sock = socket(project.pk, user)
        assert (await _connect(sock))["type"] == "websocket.accept"
        await asyncio.to_thread(membership.delete)
        await live.committed(project.pk, "traces", 1)
        while True:
            message = await sock.receive_output(15)
            if message["type"] == "websocket.close":
                return message

    assert async_to_sync(scenario)()["code"] == 4403
