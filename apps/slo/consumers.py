"""Live alert state over websockets: ws/projects/<id>/alerts pushes every SLO alert firing and
resolution, and every incident opened or changed (apps.anomaly).

Members of the project (any role) may listen; everyone else is refused at the handshake.
"""

import asyncio

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from apps.core.selectors import is_member

REFUSED = 4403


def group_name(project_id: int) -> str:
    return f"project-{project_id}-alerts"


class AlertStreamConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if not await self._allowed():
            await self.close(code=REFUSED)
            return
        await self.channel_layer.group_add(group_name(self.project_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(group_name(self.project_id), self.channel_name)

    async def alert_event(self, message: dict) -> None:
        await self.send_json(message["event"])

    @database_sync_to_async
    def _allowed(self) -> bool:
        return is_member(self.scope.get("user"), self.project_id)


def publish_event(project_id: int, event: dict) -> None:
    """Push one event (an SLO alert, an incident change) to the project's listeners. Best effort, from
    sync code (workers) or from a thread that runs an event loop (then it is scheduled on that loop)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "alert.event", "event": event}
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(layer.group_send)(group_name(project_id), message)
    else:
        loop.create_task(layer.group_send(group_name(project_id), message))


def publish(events) -> None:
    """Push alert events to the project's listeners (called once the events are committed)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for event in events:
        slo = event.alert.slo
        async_to_sync(layer.group_send)(group_name(slo.project_id), {"type": "alert.event", "event": {
            "type": "slo.alert", "slo_id": slo.pk, "slo": slo.name, "severity": event.alert.severity,
            "state": event.kind, "episode": event.episode, "at": event.at.isoformat(), "summary": event.summary}})
