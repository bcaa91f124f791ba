"""The Celery app. Embedded mode uses an in-process broker and a thread pool (never prefork:
chDB must not be forked); distributed mode uses Redis and separate worker / beat processes."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inferops_site.settings")

app = Celery("inferops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from inferops_site.beat import BEAT_SCHEDULE  # noqa: E402

app.conf.beat_schedule = BEAT_SCHEDULE
