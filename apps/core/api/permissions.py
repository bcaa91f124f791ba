"""API authentication by read key and per-project role checks, shared by every app's API."""

from django.shortcuts import get_object_or_404
from rest_framework import authentication, exceptions, permissions

from apps.core.models import ApiKey, KeyKind, Project
from apps.core.selectors import role_for
from apps.core.services import api_key_authenticate


class ReadKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer iop_…`` with a read key: the request acts with the key's project and role."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        key = api_key_authenticate(token.strip(), KeyKind.READ)
        if key is None:
            raise exceptions.AuthenticationFailed("unknown or revoked read key")
        return (KeyUser(key), key)

    def authenticate_header(self, request):
        return "Bearer"


class KeyUser:
    """The principal behind a read key (not a Django user)."""

    is_authenticated = True
    is_superuser = False
    is_staff = False

    def __init__(self, key: ApiKey):
        self.key = key
        self.pk = None


def project_role(request, project: Project) -> str | None:
    if isinstance(request.auth, ApiKey):
        return request.auth.role if request.auth.project_id == project.pk else None
    return role_for(request.user, project)


class HasProjectRole(permissions.BasePermission):
    """The view declares ``allowed_roles``; the project comes from the URL's ``project_id``."""

    message = "you do not have a role on this project that allows this"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with the authentication scheme
        project = get_object_or_404(Project, pk=view.kwargs["project_id"])
        role = project_role(request, project)
        if role is None:
            # Do not reveal whether a project exists to someone with no access to it.
            raise exceptions.NotFound("no such project")
        view.project = project
        view.role = role
        return role in view.allowed_roles


class ReadKeysOnlyRead(permissions.BasePermission):
    """Read keys read: any change of configuration needs a signed-in member."""

    message = "read API keys cannot change configuration; sign in as a member with a role that may"

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or not isinstance(request.auth, ApiKey)
