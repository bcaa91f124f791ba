"""Sealing the audit trail (see inferops_site/beat.py)."""

from celery import shared_task

from . import services


@shared_task(ignore_result=False, expires=240)
def audit_seal() -> int | None:
    """Checkpoint the records written since the last checkpoint."""
    checkpoint = services.seal()
    return checkpoint.number if checkpoint else None
