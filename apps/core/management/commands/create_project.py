from django.core.management.base import BaseCommand, CommandError

from apps.core.services import TenancyError, project_create


class Command(BaseCommand):
    help = "Create a project (and its organisation if needed); prints the project id."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--organisation", default="Default")

    def handle(self, *args, name, organisation, **options):
        try:
            project = project_create(name, organisation)
        except TenancyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(project.pk))
