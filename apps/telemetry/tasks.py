"""Periodic telemetry tasks."""

import logging

from celery import shared_task

from warehouse import WarehouseError, get_warehouse

logger = logging.getLogger(__name__)


@shared_task(ignore_result=False, expires=50)
def warehouse_health() -> bool:
    """Ping the warehouse so that an outage shows in the logs within a minute."""
    try:
        get_warehouse().backend.ping()
    except WarehouseError:
        logger.exception("warehouse health check failed")
        return False
    return True
