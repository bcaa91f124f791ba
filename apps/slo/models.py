"""SLO definitions and alert state. Evaluated SLI and burn-rate series live in the warehouse
(``slo_evaluations``); here is what users configure and what must change exactly once."""

from django.conf import settings
from django.db import models

from apps.core.models import Project

from . import sli


class Window(models.TextChoices):
    ROLLING_7D = "rolling_7d", "Rolling 7 days"
    ROLLING_28D = "rolling_28d", "Rolling 28 days"
    ROLLING_30D = "rolling_30d", "Rolling 30 days"
    CALENDAR_MONTH = "calendar_month", "Calendar month"


class Budgeting(models.TextChoices):
    OCCURRENCES = "occurrences", "Occurrences (good ÷ total events)"
    TIMESLICES = "timeslices", "Timeslices (good ÷ total minutes)"


class SLO(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=63)
    description = models.TextField(max_length=1050, blank=True)
    sli_kind = models.CharField(max_length=24, choices=[(k, k) for k in sli.KINDS])
    target = models.CharField(max_length=16, choices=[(t, t) for t in sli.TARGETS], default=sli.REQUESTS)
    threshold_ms = models.PositiveIntegerField(null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    objective = models.DecimalField(max_digits=7, decimal_places=5)       # 0.995 = 99.5 %
    window = models.CharField(max_length=16, choices=Window.choices, default=Window.ROLLING_30D)
    budgeting = models.CharField(max_length=16, choices=Budgeting.choices, default=Budgeting.OCCURRENCES)
    timeslice_target = models.DecimalField(max_digits=7, decimal_places=5, null=True, blank=True)
    alert_windows = models.JSONField(null=True, blank=True)     # overrides the default burn-rate table
    enabled = models.BooleanField(default=True)
    # The per-minute counts in the warehouse (slo_minutes) are complete up to sealed_until for this
    # version of the definition; a change of what is counted bumps the version and starts over.
    version = models.PositiveIntegerField(default=1)
    sealed_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="one_slo_name_per_project")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    PAGE = "page", "Page"
    TICKET = "ticket", "Ticket"


class AlertState(models.TextChoices):
    OK = "ok", "OK"
    FIRING = "firing", "Firing"


class SLOAlert(models.Model):
    """The state of one SLO at one severity; changed only by compare-and-set (see services)."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="alerts")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    state = models.CharField(max_length=8, choices=AlertState.choices, default=AlertState.OK)
    episode = models.PositiveIntegerField(default=0)           # increments each time the alert fires
    fired_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slo", "severity"], name="one_alert_per_slo_severity")]


class AlertEvent(models.Model):
    """History: one row when an episode fires, one when it resolves."""

    class Kind(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    alert = models.ForeignKey(SLOAlert, on_delete=models.CASCADE, related_name="events")
    episode = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField()
    summary = models.CharField(max_length=1024)
    burn_rates = models.JSONField(default=dict)
    exemplars = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "episode", "kind"], name="one_event_per_episode")]
        ordering = ["-at"]
