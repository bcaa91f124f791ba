"""SLO evaluation, every minute (see inferops_site/beat.py)."""

from celery import shared_task
from django.utils import timezone

from apps.slo.evaluation import slos_evaluate_all


@shared_task(ignore_result=False, expires=55)
def evaluate_slos() -> dict:
    """Evaluate every enabled SLO over the complete minutes so far and move its alerts."""
    return slos_evaluate_all(timezone.now())
