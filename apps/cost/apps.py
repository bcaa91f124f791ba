from django.apps import AppConfig


class CostConfig(AppConfig):
    name = "apps.cost"
    label = "cost"
    verbose_name = "Cost: prices, ledger, attribution and budgets"
