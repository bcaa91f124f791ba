"""The whole web app (Django + Channels under uvicorn, websockets included) on a free port, and a
headless Debian Chromium driven by Playwright (no browser download)."""

import asyncio
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("INFEROPS_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("INFEROPS_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts"))
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class WebServerThread:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-web", daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        from inferops_site.asgi import application
        from inferops_site.server import bind, serve_until, uvicorn_server

        self.stop_event = asyncio.Event()
        sock = bind("127.0.0.1", 0)
        self.port = sock.getsockname()[1]

        async def nothing() -> None:
            return None

        await serve_until(self.stop_event, [uvicorn_server(application, sock)], nothing, self.ready.set)

    def start(self) -> "WebServerThread":
        self.thread.start()
        assert self.ready.wait(30), "web server did not start"
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def web_server():
    server = WebServerThread().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), \
        f"Chromium not found at {CHROMIUM}: apt-get install chromium (bin/test does)"
    # Playwright's sync API keeps an event loop in this thread, which Django's ORM guard takes for
    # async code; the tests' own database calls are plain synchronous ones.
    # Module-scoped: the loop ends with the module, before other tests that run their own loops.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Kept as a test artifact (artifacts/screenshots/, or $INFEROPS_TEST_ARTIFACTS)."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
