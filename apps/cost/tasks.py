"""Costing and budget checks (see inferops_site/beat.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.core.models import Project

from . import services
from .models import CostRun, CostSettings

logger = logging.getLogger(__name__)


@shared_task(ignore_result=False, expires=55)
def cost_live() -> dict:
    """Re-cost the recent minutes of every project, then check its budgets."""
    now = timezone.now()
    start, end = services.live_window(now)
    services.recomputes_revive(now)
    done = {}
    for project in Project.objects.all():
        try:
            run = services.cost_window(project, start, end)
            CostSettings.objects.filter(project=project).update(costed_until=end)
            services.budgets_check(project, now)
        except services.CostBusy:
            continue                    # a recompute holds the ledger; the next minute catches up
        except Exception:               # noqa: BLE001 - one project's failure must not stop the others
            logger.exception("costing failed", extra={"project_id": project.pk})
            continue
        done[project.pk] = run.posted
    return done


@shared_task(ignore_result=False, expires=3000)
def cost_sweep() -> dict:
    """Re-cost the previous two days (spans that arrived later than the live job looks back), and
    forget live-run records older than a week."""
    now = timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0)
    done = {}
    for project in Project.objects.all():
        try:
            run = services.cost_window(project, end - timedelta(days=2), end, kind=CostRun.Kind.SWEEP)
        except services.CostBusy:
            logger.warning("cost sweep skipped: ledger busy", extra={"project_id": project.pk})
            continue
        except Exception:               # noqa: BLE001 - one project's failure must not stop the others
            logger.exception("cost sweep failed", extra={"project_id": project.pk})
            continue
        done[project.pk] = (run.posted, run.reversed)
    CostRun.objects.filter(kind=CostRun.Kind.LIVE, created_at__lt=now - timedelta(days=7)).delete()
    return done


@shared_task(bind=True, ignore_result=False, max_retries=60)
def cost_recompute(self, run_id: int) -> str:
    """Carry out a recompute a user asked for (recorded as a pending run); while the every-minute
    job holds the ledger, try again shortly."""
    outcome = services.recompute_run(run_id)
    if outcome == "busy":
        raise self.retry(countdown=20)
    return outcome
