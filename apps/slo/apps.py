from django.apps import AppConfig


class SloConfig(AppConfig):
    name = "apps.slo"
    label = "slo"
    verbose_name = "SLOs and burn-rate alerting"

    def ready(self) -> None:
        from django.db import transaction

        from .consumers import publish
        from .services import alert_events_recorded

        def push(sender, events, **kwargs):
            transaction.on_commit(lambda: publish(events))

        alert_events_recorded.connect(push, weak=False, dispatch_uid="slo.publish_live")
