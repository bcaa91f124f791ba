"""Tenancy: organisations own projects; members hold a role per project; keys are hashed at rest."""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SRE = "sre", "SRE"
    FINANCE = "finance", "Finance"
    AUDITOR = "auditor", "Auditor"
    VIEWER = "viewer", "Viewer"


class Organisation(models.Model):
    name = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ContentRedaction(models.TextChoices):
    DROP = "drop", "Drop (nothing is stored)"
    HASH = "hash", "Hash (HMAC-SHA-256 with the project's key: equal texts stay comparable)"
    KEEP = "keep", "Keep (stored as sent)"


class Project(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    # Filled by the workload simulator; the UI labels it so nobody mistakes it for real traffic.
    is_demo = models.BooleanField(default=False)
    # What ingest does with prompt and completion content (apps/core/redaction.py): drop by default.
    content_redaction = models.CharField(max_length=8, choices=ContentRedaction.choices, default="drop")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_project")]


class KeyKind(models.TextChoices):
    INGEST = "ingest", "Ingest (write-only)"
    READ = "read", "Read API"


class ApiKey(models.Model):
    """A project key. Only a short public prefix and a SHA-256 of the whole key are stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=8, choices=KeyKind.choices)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Invitation(models.Model):
    """A one-time link to join a project with a role. Only a SHA-256 of the token is stored.

    The invitee accepts while signed in as themselves (or creates their own account on the link's
    page), so no project admin ever names, creates or controls another person's account.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
