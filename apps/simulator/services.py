"""The demo project and the simulator's own ingest keys."""

from django.db import transaction

from apps.core.models import ApiKey, KeyKind, Project
from apps.core.services import IssuedKey, api_key_create, api_key_revoke, project_create

DEMO_PROJECT_NAME = "Demo (simulated traffic)"
DEMO_ORGANISATION = "Demo"
SIMULATOR_KEY_NAME = "workload simulator"


@transaction.atomic
def demo_project_ensure() -> tuple[Project, bool]:
    """The demo project, created on first use and reused ever after; True when created now."""
    project = Project.objects.select_for_update().filter(is_demo=True).order_by("pk").first()
    if project is not None:
        return project, False
    return project_create(DEMO_PROJECT_NAME, DEMO_ORGANISATION, demo=True), True


def simulator_key_issue(project: Project, *, revoke_stale: bool = False) -> IssuedKey:
    """A fresh ingest key for one simulator run (the plaintext is never stored).

    ``revoke_stale`` retires keys that earlier runs left behind when they were killed — right
    for the demo project, where only one simulator runs at a time.
    """
    if revoke_stale:
        for key in ApiKey.objects.filter(project=project, name=SIMULATOR_KEY_NAME, revoked_at__isnull=True):
            api_key_revoke(key)
    return api_key_create(project, kind=str(KeyKind.INGEST), name=SIMULATOR_KEY_NAME)


def simulator_key_retire(issued: IssuedKey) -> None:
    api_key_revoke(issued.key)
