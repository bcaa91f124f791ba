"""Sealing and verifying the audit streams (see inferops_site/beat.py)."""

from celery import shared_task

from . import decisions, publish, services


@shared_task(ignore_result=False, expires=240)
def audit_seal() -> int | None:
    """Checkpoint the records written since the last checkpoint, then verify the whole trail."""
    checkpoint = services.seal()
    services.verify_all()       # the auditor page shows this result
    publish.publish_pending()
    return checkpoint.number if checkpoint else None


@shared_task(ignore_result=False, expires=55)
def decisions_seal() -> dict[int, int | None]:
    """Chain each project's newly arrived guardrail decisions into its ledger and seal them."""
    sealed = decisions.chain_and_seal_all()
    publish.publish_pending()
    return sealed


@shared_task(ignore_result=False, expires=3000)
def decisions_verify() -> dict[int, bool]:
    """Verify every project's decision ledger; the auditor page shows the latest result."""
    return {project_id: report.ok for project_id, report in decisions.verify_all().items()}
