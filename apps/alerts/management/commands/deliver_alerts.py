"""manage.py deliver_alerts: attempt every due alert delivery now (what the minute sweeper does)."""

from django.core.management.base import BaseCommand

from apps.alerts.services import deliveries_sweep


class Command(BaseCommand):
    help = "Attempt every due alert delivery, including those a dead worker left in flight."

    def handle(self, *args, **options):
        self.stdout.write(f"attempted {deliveries_sweep()} deliveries")
