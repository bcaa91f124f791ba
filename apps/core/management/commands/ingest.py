"""Distributed mode: an ingest-only process (OTLP gRPC + HTTP receivers) writing to a ClickHouse server.

Run as many replicas as needed behind a load balancer; each group-commits its own requests.
"""

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from inferops_site.server import bind, run_until_signalled, uvicorn_server
from warehouse import get_warehouse, reset_warehouse


class Command(BaseCommand):
    help = "Run only the OTLP receivers (distributed deployment)."

    def handle(self, *args, **options):
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        from ingest.runtime import IngestRuntime

        runtime = IngestRuntime(get_warehouse())
        runtime.start_committers()
        grpc_port = await runtime.start_grpc(settings.INGEST_HOST, settings.OTLP_GRPC_PORT)
        sock = bind(settings.INGEST_HOST, settings.OTLP_HTTP_PORT)

        def ready() -> None:
            self.stdout.write(f"OTLP/HTTP on {settings.INGEST_HOST}:{sock.getsockname()[1]}, "
                              f"OTLP/gRPC on {settings.INGEST_HOST}:{grpc_port}\nREADY")
            self.stdout.flush()

        async def stop() -> None:
            await runtime.stop()
            reset_warehouse()

        await run_until_signalled([uvicorn_server(runtime.http_app, sock)], stop, ready)
