"""Project pages of the core app: settings (ingest and read keys, members and roles) and the switcher."""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import redirect, render

from apps.core import services
from apps.core.models import ApiKey, ContentRedaction, KeyKind, Membership, Role
from apps.core.pages import ingest_endpoints, invitation_path, project_page
from apps.core.selectors import projects_for

SETTINGS_ROLES = frozenset({"admin", "sre"})


@login_required
def project_switch(request):
    wanted = request.GET.get("project", "")
    project = projects_for(request.user).filter(pk=int(wanted)).first() if wanted.isdigit() else None
    if project is None:
        raise Http404("no such project")
    return redirect("page-overview", project.pk)


@project_page(SETTINGS_ROLES)
def settings_page(request, project):
    context = {"issued": None, "invitation": None, "invite_url": "", "error": ""}
    if request.method == "POST":
        try:
            context.update(_act(request, project))
        except services.TenancyError as exc:
            context["error"] = str(exc)
    return render(request, "core/settings.html", {
        **context, "endpoints": ingest_endpoints(request), "roles": Role.choices,
        "keys": ApiKey.objects.filter(project=project).order_by("-created_at")[:200],
        "members": Membership.objects.filter(project=project).select_related("user").order_by("user__username"),
        "retention": sorted(settings.RETENTION_DAYS.items()), "redactions": ContentRedaction.choices,
    }, status=400 if context["error"] else 200)


def _act(request, project) -> dict:
    """One settings action from the POSTed form; admins manage members and read keys, SREs ingest keys."""
    action, post, admin = request.POST.get("action", ""), request.POST, request.role == "admin"
    if action == "create_key":
        kind = post.get("kind", KeyKind.INGEST)
        if kind == KeyKind.READ and not admin:
            raise services.TenancyError("only admins create read keys")
        issued = services.api_key_create(project, kind=kind, name=post.get("name", "")[:120], role=post.get("role", ""),
                                         created_by=request.user)
        return {"issued": issued}
    if action == "revoke_key":
        key = ApiKey.objects.filter(project=project, pk=_int(post.get("key"))).first()
        if key is None or (key.kind == KeyKind.READ and not admin):
            raise services.TenancyError("no such key, or your role cannot revoke it")
        services.api_key_revoke(key)
        return {}
    if not admin:
        raise services.TenancyError("only project admins manage members and content settings")
    if action == "set_redaction":
        services.project_set_content_redaction(project, post.get("content_redaction", ""))
        return {}
    if action == "invite":
        invited = services.invitation_create(project, post.get("role", ""), created_by=request.user)
        return {"invitation": invited, "invite_url": request.build_absolute_uri(invitation_path(invited.token))}
    if action == "set_role":
        services.member_set_role(project, _int(post.get("user")), post.get("role", ""))
        return {}
    if action == "remove_member":
        services.member_remove(project, _int(post.get("user")))
        return {}
    raise services.TenancyError(f"unknown action {action[:40]!r}")


def invitation(request, token: str):
    """Join a project from an invitation link: signed in, accept as yourself; otherwise create your
    own account here (or sign in first)."""
    pending = services.invitation_open(token)
    if pending is None:
        return render(request, "core/invitation.html", {"error": "This invitation is unknown, expired or already "
                      "used. Ask the project admin for a new link."}, status=404)
    form = UserCreationForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        if form is not None:
            if not form.is_valid():
                return render(request, "core/invitation.html", {"invitation": pending, "form": form}, status=400)
            login(request, form.save(), backend="django.contrib.auth.backends.ModelBackend")
        try:
            membership = services.invitation_accept(token, request.user)
        except services.TenancyError as exc:
            return render(request, "core/invitation.html", {"error": str(exc)}, status=409)
        return redirect("page-overview", membership.project_id)
    return render(request, "core/invitation.html", {"invitation": pending, "form": form})


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


@login_required
def project_new(request):
    """Any signed-in user may start a project; they become its admin."""
    if request.method != "POST":
        return redirect("home")
    try:
        project = services.project_create_for(request.user, request.POST.get("name", ""),
                                              request.POST.get("organisation", "") or "Default")
    except services.TenancyError as exc:
        return render(request, "core/project_new_error.html", {"error": str(exc)}, status=400)
    return redirect("page-overview", project.pk)
