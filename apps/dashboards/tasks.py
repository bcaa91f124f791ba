"""Sealing the coarse rollups the long-window overview reads (see warehouse/rollups.py)."""

import uuid

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from warehouse import get_warehouse, rollups

LOCK, LOCK_S = "dashboards:rollup-seal", 600


@shared_task(ignore_result=False, expires=290)
def seal_rollups() -> dict[str, str]:
    """Seal every settled hour and six-hour block; how far each tier is sealed (one sealer at a time:
    two would both find a chunk missing and insert it twice)."""
    owner = uuid.uuid4().hex
    if not cache.add(LOCK, owner, LOCK_S):
        return {"skipped": "another seal is running"}
    try:
        return {tier: until.isoformat() for tier, until in rollups.seal(get_warehouse(), timezone.now()).items()}
    finally:
        if cache.get(LOCK) == owner:
            cache.delete(LOCK)
