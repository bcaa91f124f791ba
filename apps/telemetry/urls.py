from django.urls import path

from apps.telemetry import views

urlpatterns = [
    path("projects/<int:project_id>/traces", views.traces, name="page-traces"),
    path("projects/<int:project_id>/traces/<str:trace_id>", views.trace, name="page-trace"),
    path("projects/<int:project_id>/live", views.live, name="page-live"),
]
