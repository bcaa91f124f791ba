"""Writes for tenancy: every change goes through a named action here."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.audit import services as audit
from apps.core.models import (
    ApiKey,
    ContentRedaction,
    Invitation,
    KeyKind,
    Membership,
    Organisation,
    Project,
    Role,
)

KEY_PREFIX = "iop"


class TenancyError(ValueError):
    """A tenancy action was refused (duplicate name, unknown project, …)."""


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def hash_key(plaintext: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe; the prefix makes lookups O(1).
    return hashlib.sha256(plaintext.encode()).hexdigest()


def organisation_get_or_create(name: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name.strip())
    return organisation


@transaction.atomic
def project_create(name: str, organisation_name: str = "Default", *, demo: bool = False) -> Project:
    name = name.strip()
    if not name or len(name) > 120:
        raise TenancyError("a project name is 1–120 characters")
    slug = slugify(name)
    if not slug:
        raise TenancyError(f"project name {name!r} has no letters or digits")
    if Project.objects.filter(name=name).exists() or Project.objects.filter(slug=slug).exists():
        raise TenancyError(f"a project named {name!r} already exists")
    return Project.objects.create(organisation=organisation_get_or_create(organisation_name), name=name, slug=slug,
                                  is_demo=demo)


def membership_set(project: Project, user, role: str) -> Membership:
    if role not in Role.values:
        raise TenancyError(f"unknown role {role!r}; one of {', '.join(Role.values)}")
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


def api_key_create(project: Project, *, kind: str = "ingest", name: str = "", role: str = "",
                   created_by=None) -> IssuedKey:
    if kind not in KeyKind.values:
        raise TenancyError(f"a key is one of {', '.join(KeyKind.values)}, not {kind[:20]!r}")
    if kind == KeyKind.READ and role not in Role.values:
        raise TenancyError("a read key needs a role")
    public = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{public}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(project=project, kind=kind, role=role if kind == KeyKind.READ else "",
                                name=name or f"{kind} key", prefix=public, key_hash=hash_key(plaintext),
                                created_by=created_by)
    return IssuedKey(key=key, plaintext=plaintext)


def api_key_revoke(key: ApiKey) -> None:
    # A single UPDATE sends no model signal: the audit record is written here, in the same transaction.
    with transaction.atomic():
        if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            audit.record("core.apikey.revoke", project_id=key.project_id, target_type="apikey", target_id=key.pk,
                         details={"label": f"{key.name} (iop_{key.prefix}…)"[:120]})


def api_key_authenticate(plaintext: str, kind: str) -> ApiKey | None:
    """The live key of this kind matching ``plaintext``, or None. Constant-time on the hash."""
    parts = plaintext.split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX or len(plaintext) > 200:
        return None
    key = ApiKey.objects.select_related("project").filter(prefix=parts[1], kind=kind, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(plaintext)):
        return None
    return key


INVITATION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once, in the link; only its hash is stored


def invitation_create(project: Project, role: str, created_by=None) -> IssuedInvitation:
    if role not in Role.values:
        raise TenancyError(f"unknown role {role!r}; one of {', '.join(Role.values)}")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(project=project, role=role, token_hash=hash_key(token),
                                           created_by=created_by, expires_at=timezone.now() + INVITATION_LIFETIME)
    return IssuedInvitation(invitation, token)


def invitation_open(token: str) -> Invitation | None:
    """The pending, unexpired invitation behind ``token``, or None."""
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("project").filter(
        token_hash=hash_key(token), accepted_at__isnull=True, expires_at__gt=timezone.now()).first()


@transaction.atomic
def invitation_accept(token: str, user) -> Membership:
    """Join the invitation's project as ``user``; each invitation works once (compare-and-set claim)."""
    invitation = invitation_open(token)
    claimed = invitation is not None and Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True).update(accepted_at=timezone.now(), accepted_by=user) == 1
    if not claimed or invitation is None:
        raise TenancyError("this invitation is unknown, expired or already used; ask the project admin for a new one")
    current = Membership.objects.filter(project=invitation.project, user=user).first()
    if current is not None and current.role == Role.ADMIN:
        return current  # accepting a lesser invitation never demotes an admin
    return membership_set(invitation.project, user, invitation.role)


@transaction.atomic
def member_set_role(project: Project, user_id: int, role: str) -> Membership:
    membership = Membership.objects.select_for_update().filter(project=project, user_id=user_id).first()
    if membership is None:
        raise TenancyError("no such member")
    if role != Role.ADMIN:
        _keep_an_admin(project, user_id)
    return membership_set(project, membership.user, role)


@transaction.atomic
def project_set_content_redaction(project: Project, mode: str) -> Project:
    """Drop, hash or keep prompt and completion content from now on (ingest picks it up within 30 s)."""
    if mode not in ContentRedaction.values:
        raise TenancyError(f"content redaction is one of {', '.join(ContentRedaction.values)}")
    project.content_redaction = mode
    project.save(update_fields=["content_redaction"])       # audited as a configuration change
    return project


@transaction.atomic
def member_remove(project: Project, user_id: int) -> None:
    _keep_an_admin(project, user_id)
    Membership.objects.filter(project=project, user_id=user_id).delete()


def _keep_an_admin(project: Project, leaving_user_id: int) -> None:
    """Refuse to take the last admin away: nobody could manage the project afterwards. The admins'
    rows are locked, so two admins demoting each other at once cannot both succeed."""
    admins = set(Membership.objects.select_for_update().filter(project=project, role=Role.ADMIN)
                 .values_list("user_id", flat=True))
    if admins == {leaving_user_id}:
        raise TenancyError("a project keeps at least one admin")


@transaction.atomic
def project_create_for(user, name: str, organisation_name: str = "Default") -> Project:
    """A new project with ``user`` as its first admin."""
    if len(organisation_name.strip()) > 120 or not organisation_name.strip():
        raise TenancyError("an organisation name is 1–120 characters")
    project = project_create(name, organisation_name)
    membership_set(project, user, "admin")
    return project
