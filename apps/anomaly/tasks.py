"""The anomaly scan (see inferops_site/beat.py)."""

import logging

from celery import shared_task

from apps.core.models import Project

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=False, expires=55)
def anomaly_scan() -> dict[int, dict]:
    """Judge every project's series, open, diagnose, group and resolve anomalies."""
    done = {}
    for project in Project.objects.all():
        try:
            done[project.pk] = services.scan_project(project)
        except Exception:           # one project's failure must not stop the others' scan
            logger.exception("anomaly scan failed", extra={"project_id": project.pk})
    return done
