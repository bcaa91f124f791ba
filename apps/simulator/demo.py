"""The demo traffic of ``manage.py serve``: the simulator as a child process.

A separate process, so that it never competes with the server for the GIL and a fault in it
cannot take the server down; started once the receivers listen, stopped before they drain.
"""

import logging
import subprocess
import sys
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


class DemoTraffic:
    def __init__(self, otlp_http_port: int):
        self.port = otlp_http_port
        self.process: subprocess.Popen | None = None
        self.log_path = Path(settings.DATA_DIR) / "simulator" / "demo.log"

    def command(self) -> list[str]:
        return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "simulate", "--demo",
                "--endpoint", f"http://127.0.0.1:{self.port}", "--rate", str(settings.DEMO_RATE),
                "--backfill-if-new", settings.DEMO_BACKFILL, "--workers", "1"]

    def start(self) -> "DemoTraffic":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # exec'd at once (no Python runs in the forked child), so chDB in this process is safe.
            # Its own session: a Ctrl-C in the terminal reaches the server, which stops the simulator
            # first, while the receivers still take its last exports.
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=settings.BASE_DIR, start_new_session=True)
        return self

    def stop(self, timeout_s: float = 20.0) -> None:
        """Ask the simulator to stop (it flushes what it generated), then insist."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            logger.warning("demo simulator did not stop in %.0f s; killing it", timeout_s)
            self.process.kill()
            self.process.wait()
