from django.urls import path

from apps.anomaly.api import views

urlpatterns = [
    path("projects/<int:project_id>/incidents", views.IncidentListView.as_view(), name="api-incidents"),
    path("projects/<int:project_id>/incidents/<int:incident_id>", views.IncidentDetailView.as_view(),
         name="api-incident"),
    path("projects/<int:project_id>/incidents/<int:incident_id>/state", views.IncidentStateView.as_view(),
         name="api-incident-state"),
    path("projects/<int:project_id>/diagnoses", views.DiagnosisListView.as_view(), name="api-diagnoses"),
    path("projects/<int:project_id>/diagnoses/<int:diagnosis_id>", views.DiagnosisDetailView.as_view(),
         name="api-diagnosis"),
    path("projects/<int:project_id>/changes", views.ChangeListView.as_view(), name="api-changes"),
]
