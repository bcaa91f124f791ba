"""Live updates: the ingest path says "data committed for project P", open pages listen.

In embedded mode the receivers and the web app share one process and the in-process channel layer;
in distributed mode the Redis layer carries the tick from the ingest process to the web processes.
"""

import logging
import time

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
MIN_INTERVAL_S = 0.5  # per project and signal: pages refresh at most this often from ticks anyway
_last_sent: dict[tuple[int, str], float] = {}


def group_name(project_id: int) -> str:
    return f"project-{project_id}-live"


async def committed(project_id: int, signal: str, items: int) -> None:
    """Tell a project's open pages that ``items`` new spans / points / records are stored."""
    layer = get_channel_layer()
    now = time.monotonic()
    if layer is None or items <= 0 or now - _last_sent.get((project_id, signal), 0.0) < MIN_INTERVAL_S:
        return
    _last_sent[(project_id, signal)] = now
    try:
        await layer.group_send(group_name(project_id), {"type": "telemetry.committed", "signal": signal,
                                                        "items": items})
    except Exception:  # noqa: BLE001 - a live-update failure must never fail an acknowledged write
        logger.exception("live update not sent", extra={"project_id": project_id, "signal": signal})
