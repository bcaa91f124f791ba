from django.urls import path

from apps.core import views

urlpatterns = [
    path("projects/switch", views.project_switch, name="project-switch"),
    path("projects/new", views.project_new, name="project-new"),
    path("invitations/<str:token>", views.invitation, name="invitation"),
    path("projects/<int:project_id>/settings", views.settings_page, name="page-settings"),
]
