"""What every project page shares: sign-in, the member check, and the navigation's context."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from apps.core.api.base import ALL_ROLES
from apps.core.models import Project
from apps.core.selectors import projects_for, role_for

# (url name, label, roles that see it)
NAVIGATION = (
    ("page-overview", "Overview", ALL_ROLES),
    ("page-gpus", "GPU fleet", ALL_ROLES),
    ("page-traces", "Traces", ALL_ROLES),
    ("page-live", "Live tail", ALL_ROLES),
    ("page-slos", "SLOs", ALL_ROLES),
    ("page-incidents", "Incidents", ALL_ROLES),
    ("page-cost", "Cost", frozenset({"admin", "finance"})),
    ("page-audit", "Audit", frozenset({"admin", "auditor"})),
    ("page-alerting", "Alerting", frozenset({"admin", "sre"})),
    ("page-settings", "Settings", frozenset({"admin", "sre"})),
)


def project_page(roles: frozenset[str] = ALL_ROLES):
    """Signed-in members only (404 to others, so project ids reveal nothing); 403 for a role not in ``roles``."""
    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, project_id: int, *args, **kwargs):
            project = Project.objects.filter(pk=project_id).select_related("organisation").first()
            role = role_for(request.user, project) if project else None
            if role is None:
                raise Http404("no such project")
            request.project, request.role = project, role
            if role not in roles:
                return render(request, "frontend/forbidden.html", {"needed": sorted(roles)}, status=403)
            return view(request, project, *args, **kwargs)
        return wrapped
    return decorate


def navigation(request) -> dict:
    """Template context: the current project, its role-filtered navigation and the project switcher."""
    project = getattr(request, "project", None)
    if project is None or not request.user.is_authenticated:
        return {}
    return {
        "project": project,
        "role": request.role,
        "nav": [(name, label) for name, label, roles in NAVIGATION if request.role in roles],
        "switchable_projects": projects_for(request.user),
    }


def ingest_endpoints(request) -> dict:
    """Where this project's data goes: the OTLP endpoints on the host the user reached us on."""
    host = request.get_host().rsplit(":", 1)[0] if not request.get_host().endswith("]") else request.get_host()
    scheme = "https" if request.is_secure() else "http"
    return {"http": f"{scheme}://{host}:{settings.OTLP_HTTP_PORT}", "grpc": f"{host}:{settings.OTLP_GRPC_PORT}"}


def invitation_path(token: str) -> str:
    return reverse("invitation", kwargs={"token": token})
