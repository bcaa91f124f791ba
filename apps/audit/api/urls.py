from django.urls import path

from apps.audit.api import views

urlpatterns = [
    path("projects/<int:project_id>/audit/records", views.AuditRecordsView.as_view(), name="api-audit-records"),
    path("projects/<int:project_id>/audit/export", views.AuditExportView.as_view(), name="api-audit-export"),
    path("projects/<int:project_id>/audit/decisions", views.DecisionRecordsView.as_view(),
         name="api-audit-decisions"),
    path("projects/<int:project_id>/audit/decisions/export", views.DecisionExportView.as_view(),
         name="api-audit-decisions-export"),
    path("projects/<int:project_id>/audit/verification", views.AuditVerificationView.as_view(),
         name="api-audit-verification"),
]
