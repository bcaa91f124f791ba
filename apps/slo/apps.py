from django.apps import AppConfig


class SloConfig(AppConfig):
    name = "apps.slo"
    label = "slo"
    verbose_name = "SLOs and burn-rate alerting"
