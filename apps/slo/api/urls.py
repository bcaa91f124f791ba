from django.urls import path

from apps.slo.api import views

urlpatterns = [
    path("projects/<int:project_id>/slos", views.SLOListView.as_view(), name="slo-list"),
    path("projects/<int:project_id>/slos/openslo", views.OpenSLOView.as_view(), name="slo-openslo"),
    path("projects/<int:project_id>/slos/summary", views.SLOSummaryView.as_view(), name="slo-summary"),
    path("projects/<int:project_id>/slos/<int:slo_id>/history", views.SLOHistoryView.as_view(), name="slo-history"),
    path("projects/<int:project_id>/slos/<int:slo_id>", views.SLODetailView.as_view(), name="slo-detail"),
    path("projects/<int:project_id>/slos/<int:slo_id>/status", views.SLOStatusView.as_view(), name="slo-status"),
]
