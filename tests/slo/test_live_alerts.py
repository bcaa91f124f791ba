"""Live alert state over Channels: members receive firings and resolutions; others are refused."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from apps.core.services import membership_set
from apps.slo.models import SLO
from apps.slo.routing import websocket_urlpatterns
from apps.slo.services import alert_events_recorded
from tests.alerts.factories import alert_event

pytestmark = pytest.mark.django_db(transaction=True)


class Socket(ApplicationCommunicator):
    """A websocket client speaking ASGI to the consumer (channels.testing needs daphne; this does not)."""

    def __init__(self, project_id: int, user):
        path = f"/ws/projects/{project_id}/alerts"
        super().__init__(URLRouter(websocket_urlpatterns), {"type": "websocket", "path": path, "user": user,
                                                            "headers": [], "subprotocols": []})

    async def connect(self) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        reply = await self.receive_output(5)
        return reply["type"] == "websocket.accept", reply.get("code")

    async def receive_json_from(self, timeout: float) -> dict:
        reply = await self.receive_output(timeout)
        return json.loads(reply["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


def communicator(project_id: int, user) -> Socket:
    return Socket(project_id, user)


def test_a_member_sees_the_page_fire_and_resolve_live(project):
    viewer = get_user_model().objects.create_user("viewer-live", password="pw-123456789")
    membership_set(project, viewer, "viewer")

    async def scenario() -> list[dict]:
        client = communicator(project.pk, viewer)
        connected, _ = await client.connect()
        assert connected
        firing = await sync_to_async(alert_event)(project)
        resolved = await sync_to_async(firing.alert.events.create)(episode=1, kind="resolved", at=firing.at,
                                                                   summary="recovered")
        await sync_to_async(alert_events_recorded.send)(sender=SLO, events=[firing, resolved])
        messages = [await client.receive_json_from(timeout=5) for _ in range(2)]
        await client.disconnect()
        return messages

    messages = async_to_sync(scenario)()
    assert [(m["type"], m["state"], m["severity"]) for m in messages] == [("slo.alert", "firing", "page"),
                                                                         ("slo.alert", "resolved", "page")]


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_others_are_refused_at_the_handshake(project, who):
    user = AnonymousUser() if who == "anonymous" else get_user_model().objects.create_user(
        "outsider-live", password="pw-123456789")

    async def scenario():
        return await communicator(project.pk, user).connect()

    assert async_to_sync(scenario)() == (False, 4403)
