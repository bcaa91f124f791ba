"""Publishing checkpoints off this machine (NIST SP 800-53 AU-9(2)): each signed checkpoint, of both
streams, is POSTed as JSON to INFEROPS_AUDIT_PUBLISH_URL, in order, once. What the receiver holds
(signatures, roots, ranges) later shows whether the trail here was rewritten, even by someone who
holds the signing key. A failed delivery stops the run, keeping the order; the next seal retries."""

import json
import logging

import requests
from django.conf import settings
from django.utils import timezone

from . import keys
from .models import AuditCheckpoint

logger = logging.getLogger(__name__)
TIMEOUT_S = 10
BATCH = 500


def message(cp: AuditCheckpoint) -> dict:
    """What is published: the signed fields and signature (the sealed hashes stay here)."""
    body = {k: v for k, v in cp.as_checkpoint().items() if k != "leaf_hashes"}
    return {**body, "public_key_pem": keys.public_pem()}


def publish_pending() -> int:
    """Publish the checkpoints not yet published, oldest first; how many went out."""
    if not settings.AUDIT_PUBLISH_URL:
        return 0
    headers = {"Content-Type": "application/json"}
    if settings.AUDIT_PUBLISH_TOKEN:
        headers["Authorization"] = f"Bearer {settings.AUDIT_PUBLISH_TOKEN}"
    sent = 0
    for cp in AuditCheckpoint.objects.filter(published_at__isnull=True).order_by("pk")[:BATCH]:
        try:
            reply = requests.post(settings.AUDIT_PUBLISH_URL, data=json.dumps(message(cp)), headers=headers,
                                  timeout=TIMEOUT_S)
            reply.raise_for_status()
        except requests.RequestException as exc:
            logger.warning("audit checkpoint not published; retried after the next seal",
                           extra={"stream": cp.stream, "number": cp.number, "error": str(exc)[:200]})
            break
        AuditCheckpoint.objects.filter(pk=cp.pk).update(published_at=timezone.now())
        sent += 1
    return sent
