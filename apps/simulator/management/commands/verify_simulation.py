"""manage.py verify_simulation: check a simulation's ground truth against the warehouse."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.selectors import project_by_name
from apps.simulator.verify import verify


class Command(BaseCommand):
    help = ("Check that what a simulation sent is stored, and that each of its incidents shows its signal "
            "inside its window; exits 1 when a check fails.")

    def add_arguments(self, parser):
        parser.add_argument("ground_truth", type=Path, help="the ground-truth JSON written by simulate")

    def handle(self, *args, ground_truth: Path, **options):
        try:
            truth = json.loads(ground_truth.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {ground_truth}: {exc}") from exc
        project = project_by_name(truth.get("project", ""))
        if project is None:
            raise CommandError(f"no project named {truth.get('project')!r} in this installation")
        checks = verify(project.pk, truth)
        for check in checks:
            self.stdout.write(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        failed = [check for check in checks if not check.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(checks)} checks failed")
        self.stdout.write(f"all {len(checks)} checks passed")
