from django.conf import settings
from django.core.management.base import BaseCommand

from ingest.wal import status


class Command(BaseCommand):
    help = ("Show the ingest log: per slot and signal, whether a process holds it, bytes acknowledged but "
            "not yet stored, and envelopes set aside (rejected/, corrupt/).")

    def handle(self, *args, **options):
        rows = status(settings.INGEST_LOG_DIR)
        if not rows:
            self.stdout.write(f"no ingest log under {settings.INGEST_LOG_DIR}")
            return
        self.stdout.write(f"{'slot':<8} {'signal':<8} {'held':<5} {'unstored bytes':>14} {'rejected':>8} {'corrupt':>7}")
        for row in rows:
            self.stdout.write(f"{row.slot:<8} {row.signal:<8} {'yes' if row.in_use else 'no':<5} "
                              f"{row.unstored_bytes:>14} {row.rejected:>8} {row.corrupt:>7}")
