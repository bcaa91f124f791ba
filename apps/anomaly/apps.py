from django.apps import AppConfig


class AnomalyConfig(AppConfig):
    name = "apps.anomaly"
    label = "anomaly"
    verbose_name = "Anomalies and diagnoses"

    def ready(self) -> None:
        import logging

        from django.db import transaction

        from apps.slo.services import alert_events_recorded

        def diagnose_burns(sender, events, **kwargs):
            from .services import diagnose_slo_burn

            def run(event_id: int) -> None:
                try:
                    diagnose_slo_burn(event_id)
                except Exception:       # a diagnosis must never hold the alert up
                    logging.getLogger(__name__).exception("SLO burn not diagnosed", extra={"event": event_id})

            for event in events:
                if event.kind == "firing":
                    transaction.on_commit(lambda pk=event.pk: run(pk))

        alert_events_recorded.connect(diagnose_burns, weak=False, dispatch_uid="anomaly.diagnose_burns")
