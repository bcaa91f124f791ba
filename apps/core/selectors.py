"""Reads for tenancy."""

from apps.core.models import Membership, Project


def project_by_name(name: str) -> Project | None:
    return Project.objects.filter(name=name).first() or Project.objects.filter(slug=name).first()


def role_for(user, project: Project) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return "admin"
    membership = Membership.objects.filter(project=project, user=user).only("role").first()
    return membership.role if membership else None


def projects_for(user):
    if user.is_superuser:
        return Project.objects.order_by("name")
    return Project.objects.filter(memberships__user=user).order_by("name").distinct()


def is_member(user, project_id: int) -> bool:
    """Whether ``user`` (a websocket scope's user, say) holds any role on the project now."""
    if user is None or not user.is_authenticated:
        return False
    project = Project.objects.filter(pk=project_id).first()
    return bool(project and role_for(user, project))
