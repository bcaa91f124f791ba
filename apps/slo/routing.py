from django.urls import path

from apps.slo.consumers import AlertStreamConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/alerts", AlertStreamConsumer.as_asgi()),
]
