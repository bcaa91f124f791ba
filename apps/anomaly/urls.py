from django.urls import path

from apps.anomaly import views

urlpatterns = [
    path("projects/<int:project_id>/incidents", views.incidents, name="page-incidents"),
    path("projects/<int:project_id>/incidents/<int:incident_id>", views.incident, name="page-incident"),
]
