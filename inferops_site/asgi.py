"""ASGI entry point: Django over HTTP, Channels over websockets."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inferops_site.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()

application = ProtocolTypeRouter({
    "http": django_asgi,
    "websocket": URLRouter([]),
})
