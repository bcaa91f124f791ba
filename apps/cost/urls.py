from django.urls import path

from apps.cost import views

urlpatterns = [
    path("projects/<int:project_id>/cost", views.cost_overview, name="page-cost"),
    path("projects/<int:project_id>/cost/report", views.cost_report, name="page-cost-report"),
    path("projects/<int:project_id>/cost/budgets", views.budgets, name="page-cost-budgets"),
    path("projects/<int:project_id>/cost/prices", views.prices, name="page-cost-prices"),
]
