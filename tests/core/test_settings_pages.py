"""The settings page: keys shown once, members invited with a role, forms protected by CSRF."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.core.models import ApiKey, Invitation, Membership
from apps.core.services import hash_key, membership_set

pytestmark = pytest.mark.django_db


def member(project, role: str) -> Client:
    user = get_user_model().objects.create_user(f"{role}-settings", password="pw-123456789")
    membership_set(project, user, role)
    client = Client()
    client.force_login(user)
    return client


def test_an_ingest_key_is_shown_once_and_stored_only_as_a_hash(project):
    client = member(project, "sre")
    page = client.post(f"/projects/{project.pk}/settings", {"action": "create_key", "name": "collector",
                                                            "kind": "ingest"})
    key = ApiKey.objects.get(project=project, name="collector")
    plaintext = page.context["issued"].plaintext
    assert page.status_code == 200 and plaintext in page.content.decode()
    assert key.key_hash == hash_key(plaintext) and plaintext not in str(ApiKey.objects.filter(pk=key.pk).values())
    again = client.get(f"/projects/{project.pk}/settings")
    assert plaintext not in again.content.decode() and f"iop_{key.prefix}" in again.content.decode()


def invite(project, role: str) -> str:
    page = member(project, "admin").post(f"/projects/{project.pk}/settings", {"action": "invite", "role": role})
    assert page.status_code == 200
    url = page.context["invite_url"]
    assert url in page.content.decode() and Invitation.objects.get(project=project).token_hash not in url
    return url.split("testserver", 1)[1]


def test_an_invited_person_creates_their_own_account_and_joins_with_the_role(project):
    link = invite(project, "finance")
    newcomer = Client()
    assert "Create account and join" in newcomer.get(link).content.decode()
    joined = newcomer.post(link, {"username": "newcomer", "password1": "a-long-pass-phrase-9",
                                  "password2": "a-long-pass-phrase-9"})
    assert joined.status_code == 302 and joined.url == f"/projects/{project.pk}/overview"
    assert Membership.objects.get(project=project, user__username="newcomer").role == "finance"
    assert newcomer.get(joined.url).status_code == 200, "signed in as the new account"
    assert Client().get(link).status_code == 404, "an invitation works once"


def test_an_existing_user_accepts_signed_in_as_themselves_and_nobody_else_can(project):
    link = invite(project, "viewer")
    existing = get_user_model().objects.create_user("someone", password="pw-123456789")
    squatter = Client().post(link, {"username": "someone", "password1": "x-long-pass-9-phrase",
                                    "password2": "x-long-pass-9-phrase"})
    assert squatter.status_code == 400 and not Membership.objects.filter(project=project, user=existing).exists()
    client = Client()
    client.force_login(existing)
    assert client.post(link).status_code == 302
    assert Membership.objects.get(project=project, user=existing).role == "viewer"


def test_an_admin_changes_a_role_but_never_the_last_admins(project):
    admin = member(project, "admin")
    viewer = get_user_model().objects.create_user("promoted", password="pw-123456789")
    membership_set(project, viewer, "viewer")
    admin.post(f"/projects/{project.pk}/settings", {"action": "set_role", "user": viewer.pk, "role": "sre"})
    assert Membership.objects.get(project=project, user=viewer).role == "sre"
    me = get_user_model().objects.get(username="admin-settings")
    page = admin.post(f"/projects/{project.pk}/settings", {"action": "set_role", "user": me.pk, "role": "viewer"})
    assert page.status_code == 400 and Membership.objects.get(project=project, user=me).role == "admin"


@pytest.mark.parametrize(("role", "action", "message"), [
    ("sre", {"action": "invite", "role": "viewer"}, "only project admins manage members"),
    ("sre", {"action": "create_key", "name": "r", "kind": "read", "role": "viewer"}, "only admins create read keys"),
    ("admin", {"action": "invite", "role": "owner"}, "unknown role"),
    ("admin", {"action": "create_key", "name": "k", "kind": "root"}, "a key is one of"),
])
def test_refused_actions_say_why(project, role, action, message):
    page = member(project, role).post(f"/projects/{project.pk}/settings", action)
    assert page.status_code == 400 and message in page.content.decode()


def test_the_last_admin_cannot_be_removed(project):
    client = member(project, "admin")
    admin = get_user_model().objects.get(username="admin-settings")
    page = client.post(f"/projects/{project.pk}/settings", {"action": "remove_member", "user": admin.pk})
    assert page.status_code == 400 and Membership.objects.filter(project=project, user=admin).exists()


def test_forms_need_the_csrf_token(project):
    user = get_user_model().objects.create_user("csrf-admin", password="pw-123456789")
    membership_set(project, user, "admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.post(f"/projects/{project.pk}/settings", {"action": "create_key", "name": "x"})
    assert page.status_code == 403 and not ApiKey.objects.filter(project=project).exists()


def test_the_project_switcher_only_goes_to_own_projects(project, explore_project):
    client = member(project, "viewer")
    assert client.get(f"/projects/switch?project={project.pk}").url == f"/projects/{project.pk}/overview"
    assert client.get(f"/projects/switch?project={explore_project.pk}").status_code == 404


def test_the_openapi_schema_describes_the_explore_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/projects/{project_id}/overview", "/api/v1/projects/{project_id}/traces",
                 "/api/v1/projects/{project_id}/traces/{trace_id}", "/api/v1/projects/{project_id}/gpus",
                 "/api/v1/projects/{project_id}/keys", "/api/v1/projects/{project_id}/members"):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/v1/projects/{project_id}/traces"]["get"]["parameters"]}
    assert {"attr", "min_duration_ms", "after", "sort", "tenant"} <= params


def test_settings_show_how_long_each_kind_of_data_is_kept(project, settings):
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "traces": 9, "cost": 731}
    page = member(project, "admin").get(f"/projects/{project.pk}/settings").content.decode()
    table = page[page.index("data-retention"):]
    assert "<th scope=\"row\" class=\"text\">traces</th><td>9</td>" in table
    assert "<th scope=\"row\" class=\"text\">cost</th><td>731</td>" in table
    assert "audit trail" in table and "no expiry" in table


def test_admins_choose_what_happens_to_prompt_content_and_the_change_is_audited(project):
    from apps.audit.models import AuditRecord

    assert project.content_redaction == "drop", "content is dropped unless an admin says otherwise"
    sre = member(project, "sre")
    refused = sre.post(f"/projects/{project.pk}/settings", {"action": "set_redaction", "content_redaction": "keep"})
    assert refused.status_code == 400
    admin = member(project, "admin")
    bad = admin.post(f"/projects/{project.pk}/settings", {"action": "set_redaction", "content_redaction": "sometimes"})
    assert bad.status_code == 400 and "content redaction is one of drop, hash, keep" in bad.content.decode()
    project.refresh_from_db()
    assert project.content_redaction == "drop"
    admin.post(f"/projects/{project.pk}/settings", {"action": "set_redaction", "content_redaction": "hash"})
    project.refresh_from_db()
    assert project.content_redaction == "hash"
    change = AuditRecord.objects.filter(action="core.project.update", project_id=project.pk).last()
    assert change.details["fields"] == ["content_redaction"] and change.actor_type == "user"
