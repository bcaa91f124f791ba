"""Celery worker and beat inside the embedded process (threads: chDB forbids forking).

Distributed mode runs ``celery -A inferops_site worker`` and ``celery -A inferops_site beat``
as separate processes instead, with Redis as the broker.
"""

import logging
import threading

from celery.beat import EmbeddedService
from celery.worker import WorkController

from inferops_site.celery import app

logger = logging.getLogger(__name__)


class EmbeddedWorkers:
    def __init__(self, concurrency: int = 2):
        self.worker = WorkController(app=app, concurrency=concurrency, pool="threads", hostname="embedded@inferops",
                                     without_heartbeat=True, without_mingle=True, without_gossip=True,
                                     loglevel="WARNING")
        self.beat = EmbeddedService(app, thread=True)
        self._thread = threading.Thread(target=self.worker.start, name="celery-worker", daemon=True)

    def start(self) -> "EmbeddedWorkers":
        self._thread.start()
        self.beat.start()
        return self

    def stop(self) -> None:
        self.beat.stop()
        self.worker.stop(in_sighandler=False)
        self._thread.join(10)
