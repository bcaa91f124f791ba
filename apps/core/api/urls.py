from django.urls import path

from apps.core.api import views

urlpatterns = [
    path("projects", views.ProjectListView.as_view(), name="api-projects"),
    path("projects/<int:project_id>/keys", views.KeyListView.as_view(), name="api-keys"),
    path("projects/<int:project_id>/keys/<int:key_id>", views.KeyDetailView.as_view(), name="api-key"),
    path("projects/<int:project_id>/members", views.MemberListView.as_view(), name="api-members"),
    path("projects/<int:project_id>/members/<int:user_id>", views.MemberDetailView.as_view(), name="api-member"),
]
