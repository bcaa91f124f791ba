from django.urls import path

from apps.audit import views

urlpatterns = [
    path("projects/<int:project_id>/audit", views.audit, name="page-audit"),
    path("projects/<int:project_id>/audit/decisions", views.audit_decisions, name="page-audit-decisions"),
    path("audit/instance", views.instance_audit, name="page-audit-instance"),
    path("audit/instance/export", views.instance_audit_export, name="page-audit-instance-export"),
]
