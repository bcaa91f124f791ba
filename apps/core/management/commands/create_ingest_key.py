from django.core.management.base import BaseCommand, CommandError

from apps.core.models import KeyKind
from apps.core.selectors import project_by_name
from apps.core.services import api_key_create


class Command(BaseCommand):
    help = "Create a write-only ingest key for a project; prints the key alone on standard output (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="project name or slug")
        parser.add_argument("--name", default="ingest key")

    def handle(self, *args, project, name, **options):
        target = project_by_name(project)
        if target is None:
            raise CommandError(f"no project named {project!r}; create it with: manage.py create_project {project!r}")
        issued = api_key_create(target, kind=KeyKind.INGEST, name=name)
        self.stdout.write(issued.plaintext)
