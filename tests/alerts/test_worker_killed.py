"""A worker killed mid-delivery: the alert is still delivered, once, under the same message id."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.alerts.receivers import Receiver
from tests.processes import ROOT, manage, process_env

pytestmark = pytest.mark.slow

SETUP = """
from apps.core.services import project_create
from apps.alerts import services
from tests.alerts.factories import alert_event
project = project_create("kill-test")
services.channel_create(project, name="hook", kind="webhook", config={{"url": "{url}"}})
[delivery] = services.events_notify([alert_event(project)])
print(delivery.pk)
"""
STATE = """
from apps.alerts.models import Delivery
d = Delivery.objects.get(pk={pk})
print(d.status, d.attempts, [a.status_code for a in d.log.all()])
"""


def test_the_alert_is_delivered_after_the_worker_dies_and_not_twice(tmp_path):
    receiver = Receiver(script=[(500, "receiver never finished", -1.0)])      # the first request hangs
    env = {**process_env(tmp_path, "kill-test"), "INFEROPS_ALERTS_ALLOW_HTTP": "1", "INFEROPS_ALERTS_LEASE_S": "1"}
    try:
        manage(env, "migrate", "--verbosity", "0")
        pk = manage(env, "shell", "--no-imports", "-c", SETUP.format(url=receiver.url)).splitlines()[-1]
        worker = subprocess.Popen([sys.executable, "manage.py", "deliver_alerts"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not receiver.requests:
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never sent"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)          # mid-delivery: sent, no answer yet
        worker.wait()
        receiver.release.set()
        time.sleep(1.5)                              # past the claim's lease

        manage(env, "deliver_alerts")
        status, attempts, _ = manage(env, "shell", "--no-imports", "-c", STATE.format(pk=pk)).splitlines()[-1].split(" ", 2)
    finally:
        receiver.close()
    assert (status, attempts) == ("delivered", "2")
    assert receiver.answered.count(200) == 1
    assert len(receiver.requests) == 2 and len({r.headers["webhook-id"] for r in receiver.requests}) == 1
