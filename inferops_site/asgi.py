"""ASGI entry point: Django over HTTP, Channels over websockets."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inferops_site.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()

from apps.slo.routing import websocket_urlpatterns as slo_sockets  # noqa: E402
from apps.telemetry.routing import websocket_urlpatterns as live_sockets  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi,
    # Session-authenticated, same-origin only; each consumer checks the project role.
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([*slo_sockets, *live_sockets]))),
})
