"""Real local HTTP servers standing in for PagerDuty, Alertmanager receivers, Slack and webhook consumers."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each request with the next scripted (status, body, delay_s); then with ``default``."""

    default: tuple[int, str] = (200, "ok")
    script: list[tuple[int, str, float]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, text, delay = receiver.script.pop(0) if receiver.script else (*receiver.default, 0.0)
                if delay < 0:
                    receiver.release.wait(60)          # hold the request until the test lets go
                time.sleep(max(delay, 0))
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(text.encode())
                receiver.answered.append(status)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
