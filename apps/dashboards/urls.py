from django.urls import path

from apps.dashboards import views

urlpatterns = [
    path("projects/<int:project_id>/overview", views.overview, name="page-overview"),
    path("projects/<int:project_id>/gpus", views.gpus, name="page-gpus"),
]
