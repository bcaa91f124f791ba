from django.urls import path

from apps.telemetry.api import views

urlpatterns = [
    path("projects/<int:project_id>/ingest/accounting", views.IngestAccountingView.as_view(),
         name="ingest-accounting"),
    path("projects/<int:project_id>/traces", views.TraceSearchView.as_view(), name="api-traces"),
    path("projects/<int:project_id>/traces.csv", views.TraceExportView.as_view(), name="api-traces-csv"),
    path("projects/<int:project_id>/traces/<str:trace_id>", views.TraceView.as_view(), name="api-trace"),
    path("projects/<int:project_id>/traces/<str:trace_id>/spans/<str:span_id>", views.SpanDetailView.as_view(),
         name="api-span"),
]
