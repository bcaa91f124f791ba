"""Writes for tenancy: every change goes through a named action here."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.core.models import ApiKey, KeyKind, Membership, Organisation, Project, Role

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
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_authenticate(plaintext: str, kind: str) -> ApiKey | None:
    """The live key of this kind matching ``plaintext``, or None. Constant-time on the hash."""
    parts = plaintext.split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX or len(plaintext) > 200:
        return None
    key = ApiKey.objects.select_related("project").filter(prefix=parts[1], kind=kind, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(plaintext)):
        return None
    return key


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    set_password_path: str  # "" when the account already existed


@transaction.atomic
def member_invite(project: Project, username: str, role: str) -> Invitation:
    """Give ``username`` a role on the project, creating the account when it does not exist yet.

    A new account has no usable password; the returned one-time path lets its owner set one (there is
    no mail server in embedded mode, so the admin passes the link on).
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    username = username.strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
        raise TenancyError("a username is 1–150 letters, digits and @ . + - _")
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if role != Role.ADMIN:
        _keep_an_admin(project, user.pk)
    membership = membership_set(project, user, role)
    path = ""
    if created:
        path = f"/accounts/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}/"
    return Invitation(membership, path)


def member_remove(project: Project, user_id: int) -> None:
    _keep_an_admin(project, user_id)
    Membership.objects.filter(project=project, user_id=user_id).delete()


def _keep_an_admin(project: Project, leaving_user_id: int) -> None:
    """Refuse to take the last admin away: nobody could manage the project afterwards."""
    admins = Membership.objects.filter(project=project, role=Role.ADMIN)
    if admins.filter(user_id=leaving_user_id).exists() and not admins.exclude(user_id=leaving_user_id).exists():
        raise TenancyError("a project keeps at least one admin")


@transaction.atomic
def project_create_for(user, name: str, organisation_name: str = "Default") -> Project:
    """A new project with ``user`` as its first admin."""
    if len(organisation_name.strip()) > 120 or not organisation_name.strip():
        raise TenancyError("an organisation name is 1–120 characters")
    project = project_create(name, organisation_name)
    membership_set(project, user, "admin")
    return project
