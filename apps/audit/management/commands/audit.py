"""manage.py audit verify [--decisions PROJECT] [--from SEQ] [--to SEQ] | seal | public-key"""

from django.core.management.base import BaseCommand, CommandError

from apps.audit import decisions, keys, publish, services
from apps.audit.integrity.chain import Report


class Command(BaseCommand):
    help = ("Verify the product's audit trail or a project's decision ledger (records and signed checkpoints, "
            "whole or a range), seal both now, or print the public key.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "seal", "public-key"])
        parser.add_argument("--decisions", type=int, metavar="PROJECT",
                            help="verify this project's policy and guardrail decision ledger")
        parser.add_argument("--from", dest="first", type=int, help="first record of the range to verify (with the "
                                                                    "checkpoints that seal it)")
        parser.add_argument("--to", dest="last", type=int, help="last record of the range to verify")

    def handle(self, *args, action: str, decisions: int | None = None, first: int | None = None,
               last: int | None = None, **options):
        if action == "public-key":
            self.stdout.write(keys.public_pem() + f"fingerprint (SHA-256 of the raw key): {keys.fingerprint()}")
        elif action == "seal":
            self._seal()
        elif decisions is not None:
            self._report(f"decision ledger of project {decisions}", decisions_verify(decisions, first, last))
        elif first is not None or last is not None:
            self._report(f"audit trail records {first or 1}…{last or 'end'}", services.verify_range(first or 1, last))
        else:
            self._report("audit trail", services.verify_all())

    def _seal(self) -> None:
        checkpoint = services.seal()
        self.stdout.write(f"audit trail checkpoint {checkpoint.number}: records {checkpoint.first_seq}…"
                          f"{checkpoint.last_seq}" if checkpoint else "audit trail: nothing new to seal")
        for project_id, number in decisions.chain_and_seal_all().items():
            if number:
                self.stdout.write(f"decision ledger of project {project_id}: checkpoint {number}")
        published = publish.publish_pending()
        if published:
            self.stdout.write(f"{published} checkpoints published off this machine")

    def _report(self, what: str, report: Report) -> None:
        broken = report.first_break
        if broken is not None:
            raise CommandError(f"{what} BROKEN at record {broken.seq} ({broken.kind}): {broken.detail}")
        unsealed = f"; records from {report.unsealed_from} are chained but not yet sealed" if report.unsealed_from else ""
        self.stdout.write(f"{what} OK: {report.records} records, {report.checkpoints} checkpoints{unsealed}")


def decisions_verify(project_id: int, first: int | None, last: int | None) -> Report:
    return decisions.verify(project_id, first_seq=first, last_seq=last)
