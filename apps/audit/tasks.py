"""Sealing the audit trail (see inferops_site/beat.py)."""

from celery import shared_task

from . import services


@shared_task(ignore_result=False, expires=240)
def audit_seal() -> int | None:
    """Checkpoint the records written since the last checkpoint, then verify the whole trail."""
    checkpoint = services.seal()
    services.verify_all()       # the auditor page shows this result
    return checkpoint.number if checkpoint else None
