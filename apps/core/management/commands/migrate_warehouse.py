from django.core.management.base import BaseCommand, CommandError

from warehouse import SchemaError
from warehouse.admin import migration_runner


class Command(BaseCommand):
    help = "Apply pending ClickHouse schema migrations (warehouse/schema/NNNN_*.sql)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print the statements without applying them")

    def handle(self, *args, dry_run, **options):
        runner = migration_runner()
        try:
            if dry_run:
                plan = runner.plan()
                for migration, statements in plan:
                    self.stdout.write(f"-- {migration.version:04d}_{migration.name} (pending)")
                    for statement in statements:
                        self.stdout.write(statement.rstrip() + ";\n")
                if not plan:
                    self.stdout.write("-- no pending migrations")
                return
            applied = runner.migrate()
        except SchemaError as exc:
            raise CommandError(str(exc)) from exc
        for migration in applied:
            self.stdout.write(f"applied {migration.version:04d}_{migration.name}")
        if not applied:
            self.stdout.write("warehouse schema is up to date")
