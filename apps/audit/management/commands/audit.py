"""manage.py audit verify | seal | public-key"""

from django.core.management.base import BaseCommand, CommandError

from apps.audit import keys, services


class Command(BaseCommand):
    help = "Verify the audit trail (records and signed checkpoints), seal it now, or print the public key."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "seal", "public-key"])

    def handle(self, *args, action: str, **options):
        if action == "public-key":
            self.stdout.write(keys.public_pem() + f"fingerprint (SHA-256 of the raw key): {keys.fingerprint()}")
            return
        if action == "seal":
            checkpoint = services.seal()
            self.stdout.write(f"checkpoint {checkpoint.number}: records {checkpoint.first_seq}…{checkpoint.last_seq}"
                              if checkpoint else "nothing new to seal")
            return
        report = services.verify_all()
        if not report.ok:
            broken = report.first_break
            raise CommandError(f"audit trail BROKEN at record {broken.seq} ({broken.kind}): {broken.detail}")
        unsealed = f"; records from {report.unsealed_from} are chained but not yet sealed" if report.unsealed_from else ""
        self.stdout.write(f"audit trail OK: {report.records} records, {report.checkpoints} checkpoints{unsealed}")
