from django.urls import path

from . import views

P = "projects/<int:project_id>/cost"
urlpatterns = [
    path(f"{P}/report", views.CostReportView.as_view(), name="api-cost-report"),
    path(f"{P}/attribution", views.AttributionView.as_view(), name="api-cost-attribution"),
    path(f"{P}/attribution-keys", views.AttributionKeysView.as_view(), name="api-cost-attribution-keys"),
    path(f"{P}/agent-runs", views.AgentRunsView.as_view(), name="api-cost-agent-runs"),
    path(f"{P}/ledger", views.LedgerExportView.as_view(), name="api-cost-ledger"),
    path(f"{P}/budgets", views.BudgetsView.as_view(), name="api-cost-budgets"),
    path(f"{P}/budgets/<int:budget_id>", views.BudgetView.as_view(), name="api-cost-budget"),
    path(f"{P}/overrides", views.OverridesView.as_view(), name="api-cost-overrides"),
    path(f"{P}/overrides/<int:override_id>", views.OverrideView.as_view(), name="api-cost-override"),
    path(f"{P}/gpu-prices", views.GpuPricesView.as_view(), name="api-cost-gpu-prices"),
    path(f"{P}/gpu-prices/<int:price_id>", views.GpuPriceView.as_view(), name="api-cost-gpu-price"),
    path(f"{P}/price-versions", views.PriceVersionsView.as_view(), name="api-cost-price-versions"),
    path(f"{P}/catalogue", views.CatalogueView.as_view(), name="api-cost-catalogue"),
    path(f"{P}/recomputes", views.RecomputesView.as_view(), name="api-cost-recomputes"),
]
