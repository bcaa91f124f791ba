"""Anomalies found by the scan, their diagnoses, the incidents that group them, and change events
(deployments recorded through the API; model, prompt and policy versions seen in the data; prices)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import Project


class ChangeEvent(models.Model):
    class Kind(models.TextChoices):
        DEPLOYMENT = "deployment", "Deployment"
        CONFIG = "config", "Configuration change"
        MODEL = "model_version", "Model version"
        PROMPT = "prompt_version", "Prompt version"
        POLICY = "policy_version", "Policy version"
        PRICE = "price", "Price change"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    service = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=8, default="api")           # api | data | system
    key = models.CharField(max_length=300, blank=True)               # a change seen in the data, once
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["project", "at"])]
        constraints = [models.UniqueConstraint(fields=["project", "key"], condition=~Q(key=""),
                                               name="one_change_event_per_key")]


class Incident(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="incidents")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")                 # empty: resolved by recovery
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["project", "state", "last_activity_at"])]

    def __str__(self) -> str:
        return self.title


class IncidentEvent(models.Model):
    """The incident's timeline."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=24)     # opened | anomaly | diagnosis | change | acknowledged | resolved | …
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]


class Anomaly(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="anomalies")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="anomalies")
    series = models.CharField(max_length=32)                          # e.g. latency_p95, error_rate
    dimension = models.CharField(max_length=16)                       # * | service | endpoint | model | tenant | host
    value = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    method = models.CharField(max_length=8)
    direction = models.CharField(max_length=4)
    started_at = models.DateTimeField()                                 # the first anomalous minute
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    change_point_at = models.DateTimeField(null=True, blank=True)
    observed = models.FloatField()
    expected = models.FloatField()
    score = models.FloatField()
    peak = models.FloatField()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["project", "series", "dimension", "value"],
                                               condition=Q(state="open"), name="one_open_anomaly_per_series")]

    def __str__(self) -> str:
        from .scan import SERIES

        scope = "the project" if self.dimension == "*" else f"{self.dimension} {self.value}"
        kind = SERIES.get(self.series)
        return f"{kind.label if kind else self.series} of {scope}"


class Diagnosis(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="diagnoses")
    anomaly = models.OneToOneField(Anomaly, null=True, blank=True, on_delete=models.SET_NULL, related_name="diagnosis")
    # Or the SLO burn it explains: the alert event that fired.
    alert_event = models.OneToOneField("slo.AlertEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="diagnosis")
    symptom = models.CharField(max_length=24)
    scope = models.JSONField(default=dict)
    baseline_start = models.DateTimeField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    summary = models.CharField(max_length=600)
    factors = models.JSONField(default=list)
    evidence = models.JSONField(default=dict)        # hosts' GPU and server metrics, change events
    examples = models.JSONField(default=list)        # example traces of the first factor
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
