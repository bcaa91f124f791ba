from django.urls import path

from apps.alerts import views

urlpatterns = [
    path("projects/<int:project_id>/alerting", views.alerting, name="page-alerting"),
]
