from django.urls import path

from apps.dashboards.api import views

urlpatterns = [
    path("projects/<int:project_id>/overview", views.OverviewView.as_view(), name="api-overview"),
    path("projects/<int:project_id>/overview.csv", views.OverviewExportView.as_view(), name="api-overview-csv"),
    path("projects/<int:project_id>/dimensions", views.DimensionValuesView.as_view(), name="api-dimensions"),
    path("projects/<int:project_id>/gpus", views.GpuFleetView.as_view(), name="api-gpus"),
    path("projects/<int:project_id>/gpus.csv", views.GpuFleetExportView.as_view(), name="api-gpus-csv"),
    path("projects/<int:project_id>/gpus/spans", views.SpansOnGpuView.as_view(), name="api-gpu-spans"),
]
