"""Distributed mode: the web app and API only (Django over ASGI with Channels)."""

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from inferops_site.server import bind, run_until_signalled, uvicorn_server
from warehouse import reset_warehouse


class Command(BaseCommand):
    help = "Run only the web app and API (distributed deployment)."

    def handle(self, *args, **options):
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        from inferops_site.asgi import application

        sock = bind(settings.WEB_HOST, settings.WEB_PORT)

        def ready() -> None:
            self.stdout.write(f"web on http://{settings.WEB_HOST}:{sock.getsockname()[1]}/\nREADY")
            self.stdout.flush()

        async def stop() -> None:
            reset_warehouse()

        await run_until_signalled([uvicorn_server(application, sock)], stop, ready)
