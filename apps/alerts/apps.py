from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    verbose_name = "Notification channels and alert delivery"

    def ready(self) -> None:
        from apps.slo.services import alert_events_recorded

        from .services import events_notify

        def notify(sender, events, **kwargs):
            events_notify(events)

        alert_events_recorded.connect(notify, weak=False, dispatch_uid="alerts.events_notify")
