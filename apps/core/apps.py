from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Organisations, projects, members and keys"

    def ready(self) -> None:
        from apps.core import checks  # noqa: F401 - registers system checks
        from apps.core import signin  # noqa: F401 - counts failed sign-ins
