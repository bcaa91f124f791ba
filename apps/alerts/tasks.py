"""Alert delivery tasks: one attempt per task, and a sweeper for retries and dead workers' claims."""

from celery import shared_task

from .services import deliveries_sweep, delivery_attempt


@shared_task(ignore_result=True)
def deliver(delivery_id: int) -> str | None:
    """One attempt at one delivery, if it is still due (a claim makes a duplicate task a no-op)."""
    return delivery_attempt(delivery_id)


@shared_task(ignore_result=True, expires=55)
def sweep_deliveries() -> int:
    """Attempt every due delivery: retries whose task was lost, and claims left by a dead worker."""
    return deliveries_sweep()
