from django.urls import path

from apps.telemetry.api import views

urlpatterns = [
    path("projects/<int:project_id>/ingest/accounting", views.IngestAccountingView.as_view(),
         name="ingest-accounting"),
]
