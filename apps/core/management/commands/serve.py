"""All-in-one embedded process: OTLP receivers, web app and workers over chDB + SQLite."""

import asyncio
import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.simulator.demo import DemoTraffic
from inferops_site.server import bind, run_until_signalled, uvicorn_server
from warehouse import get_warehouse, reset_warehouse
from warehouse.admin import migrate

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run InferOps on one machine: OTLP gRPC + HTTP receivers, the web app and the workers."

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="skip database and warehouse migrations")

    def handle(self, *args, no_migrate, **options):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
            migrate()
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        from inferops_site.asgi import application
        from inferops_site.workers import EmbeddedWorkers
        from ingest.runtime import IngestRuntime

        runtime = IngestRuntime(get_warehouse())
        runtime.start_committers()
        workers = EmbeddedWorkers().start()
        grpc_port = await runtime.start_grpc(settings.INGEST_HOST, settings.OTLP_GRPC_PORT)
        web_sock = bind(settings.WEB_HOST, settings.WEB_PORT)
        otlp_sock = bind(settings.INGEST_HOST, settings.OTLP_HTTP_PORT)
        servers = [uvicorn_server(application, web_sock), uvicorn_server(runtime.http_app, otlp_sock)]

        demo = DemoTraffic(otlp_sock.getsockname()[1]) if settings.DEMO_ENABLED else None

        def ready() -> None:
            if demo is not None:
                demo.start()
            self.stdout.write(banner(web_sock.getsockname()[1], otlp_sock.getsockname()[1], grpc_port, demo),
                              ending="\n")
            self.stdout.flush()

        async def stop_demo() -> None:
            # First, while the receivers still answer, so that the simulator's last exports land.
            if demo is not None:
                await asyncio.to_thread(demo.stop)

        async def stop() -> None:
            await runtime.stop()
            workers.stop()
            reset_warehouse()
            self.stdout.write("InferOps stopped; all acknowledged data is stored.")

        await run_until_signalled(servers, stop, ready, stop_demo)


def banner(web_port: int, http_port: int, grpc_port: int, demo: DemoTraffic | None = None) -> str:
    host = settings.WEB_HOST
    ingest = settings.INGEST_HOST
    demo_lines = [f"  Demo traffic:      project 'Demo (simulated traffic)', {settings.DEMO_RATE:g} spans/s "
                  f"(log: {demo.log_path}; INFEROPS_DEMO=0 turns it off)"] if demo else []
    return "\n".join([
        "InferOps is running (embedded: chDB + SQLite).",
        f"  UI and API:        http://{host}:{web_port}/",
        f"  OTLP/HTTP:         http://{ingest}:{http_port}/v1/traces | /v1/metrics | /v1/logs",
        f"  OTLP/gRPC:         {ingest}:{grpc_port}",
        f"  Data folder:       {settings.DATA_DIR}",
        *demo_lines,
        "  Get an ingest key: python manage.py create_project my-app && "
        "python manage.py create_ingest_key --project my-app",
        "READY",
    ])
