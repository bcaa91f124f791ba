from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Organisations, projects, members and keys"

    def ready(self) -> None:
        # System checks register themselves, and failed sign-ins start being counted, on import.
        from apps.core import checks, signin  # noqa: F401
