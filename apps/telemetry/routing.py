from django.urls import path

from apps.telemetry.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/live", LiveConsumer.as_asgi()),
]
