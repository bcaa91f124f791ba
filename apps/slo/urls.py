from django.urls import path

from apps.slo import views

urlpatterns = [
    path("projects/<int:project_id>/slos", views.slo_list, name="page-slos"),
    path("projects/<int:project_id>/slos/<int:slo_id>", views.slo_detail, name="page-slo"),
]
