"""Shared fixtures: one migrated chDB warehouse per test session, projects per test, an in-process
ingest server (real HTTP and gRPC listeners on free ports) for end-to-end tests."""

import asyncio
import threading
import uuid

import pytest

from apps.core.models import KeyKind
from apps.core.services import api_key_create, project_create
from warehouse import get_warehouse
from warehouse.admin import migrate

pytest_plugins = ["tests.datasets"]


@pytest.fixture(scope="session")
def warehouse(django_db_blocker):
    wh = get_warehouse()
    with django_db_blocker.unblock():
        migrate()
    return wh


@pytest.fixture
def project(db):
    return project_create(f"p-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def ingest_key(project) -> str:
    return api_key_create(project, kind=KeyKind.INGEST, name="test").plaintext


class IngestServerThread:
    """The real ingest runtime (committers, HTTP and gRPC receivers) on a background event loop.

    Tests that read what they sent right after the answer use ``ack="stored"`` (read-your-writes);
    the ingest log's own tests use the default, ``"logged"``."""

    def __init__(self, warehouse, ack: str = "stored"):
        from ingest.runtime import IngestRuntime

        self.runtime = IngestRuntime(warehouse, ack)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-ingest", daemon=True)
        self.http_port = self.grpc_port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        from inferops_site.server import bind, serve_until, uvicorn_server

        self.stop_event = asyncio.Event()
        self.runtime.start_committers()
        self.grpc_port = await self.runtime.start_grpc("127.0.0.1", 0)
        sock = bind("127.0.0.1", 0)
        self.http_port = sock.getsockname()[1]
        await serve_until(self.stop_event, [uvicorn_server(self.runtime.http_app, sock)], self.runtime.stop,
                          self.ready.set)

    def start(self) -> "IngestServerThread":
        self.thread.start()
        assert self.ready.wait(30), "ingest server did not start"
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


@pytest.fixture(scope="session")
def ingest_server(warehouse):
    server = IngestServerThread(warehouse).start()
    yield server
    server.stop()


@pytest.fixture
def slow_commit_server(warehouse, settings):
    # Every request waits 1 s for its batch and the queue holds one request: a second concurrent
    # request must be refused, not queued.
    settings.INGEST_MAX_PENDING_BYTES = 1
    settings.INGEST_BATCH_MAX_DELAY_MS = 1000
    settings.INGEST_RETRY_AFTER_S = 3
    server = IngestServerThread(warehouse.writer()).start()
    yield server
    server.stop()
