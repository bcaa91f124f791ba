"""Live tail and live dashboards over websockets: ws/projects/<id>/live.

Members of the project (any role) may listen. The socket forwards "committed" ticks (dashboards
refetch) and pushes the traces stored since the last push (the live tail).
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.core.selectors import is_member
from apps.telemetry.live import group_name
from apps.telemetry.selectors import live_traces
from warehouse import WarehouseError

logger = logging.getLogger(__name__)

REFUSED = 4403
SAFETY_POLL_S = 10.0   # ticks are throttled at the source; poll now and then so nothing waits long
MIN_PUSH_INTERVAL_S = 1.0
MAX_REMEMBERED = 5000


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if not await self._allowed():
            await self.close(code=REFUSED)
            return
        self.since = datetime.now(UTC) - timedelta(minutes=5)
        self.sent: dict[str, None] = {}
        self.wake = asyncio.Event()
        await self.channel_layer.group_add(group_name(self.project_id), self.channel_name)
        await self.accept()
        self.pump = asyncio.create_task(self._pump())

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(group_name(self.project_id), self.channel_name)
        if hasattr(self, "pump"):
            self.pump.cancel()

    async def telemetry_committed(self, message: dict) -> None:
        await self.send_json({"type": "committed", "signal": message["signal"], "items": message["items"]})
        if message["signal"] == "traces":
            self.wake.set()

    async def _pump(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), SAFETY_POLL_S)
            except TimeoutError:
                pass
            self.wake.clear()
            # Access is checked again before every push: a member removed from the project (or a
            # deactivated user) stops receiving at once.
            if not await self._allowed():
                await self.close(code=REFUSED)
                return
            try:
                await self._push_new()
            except WarehouseError:
                logger.exception("live tail read failed; retrying", extra={"project_id": self.project_id})
            await asyncio.sleep(MIN_PUSH_INTERVAL_S)

    async def _push_new(self) -> None:
        rows = await sync_to_async(live_traces)(self.project_id, self.since)
        fresh = [r for r in rows if r["trace_id"] not in self.sent]
        if rows:
            self.since = max(r["stored_at"] for r in rows)
        for row in fresh:
            self.sent[row["trace_id"]] = None
        while len(self.sent) > MAX_REMEMBERED:
            self.sent.pop(next(iter(self.sent)))
        if fresh:
            await self.send_json({"type": "traces", "traces": [_json(r) for r in fresh]})

    @database_sync_to_async
    def _allowed(self) -> bool:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            user.refresh_from_db(fields=["is_active", "is_superuser"])   # deactivated since connecting?
        return bool(user is not None and user.is_active and is_member(user, self.project_id))


def _json(row: dict) -> dict:
    return {**row, "started": row["started"].isoformat(), "stored_at": row["stored_at"].isoformat()}
