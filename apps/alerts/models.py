"""Notification channels per project, and one delivery per (channel, alert event) with its attempts.

Channel credentials (PagerDuty routing keys, webhook URLs with their tokens, signing secrets) must be
used as they are to send, so they are stored, never returned by the API after creation (only a hint).
"""

from django.db import models

from apps.core.models import Project
from apps.slo.models import AlertEvent


class ChannelKind(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    ALERTMANAGER = "alertmanager", "Alertmanager-compatible webhook"
    SLACK = "slack", "Slack incoming webhook"
    WEBHOOK = "webhook", "Signed JSON webhook (Standard Webhooks)"


class Channel(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    config = models.JSONField(default=dict)          # url, routing_key, secret, … per kind
    severities = models.JSONField(default=list)      # empty: every severity
    match_labels = models.JSONField(default=dict)    # every label here must equal the alert's
    send_resolved = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="one_channel_name_per_project")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_FLIGHT = "in_flight", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (not retryable)"
    GAVE_UP = "gave_up", "Gave up after every retry"
    SUPERSEDED = "superseded", "Not sent: the alert had resolved"


class Delivery(models.Model):
    """One notification to one channel. Claimed by compare-and-set before each attempt."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries")
    message_id = models.CharField(max_length=64, unique=True)    # webhook-id: the same on every retry
    payload = models.JSONField()
    is_test = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "event"], name="one_delivery_per_channel_event")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        ordering = ["-created_at"]


class DeliveryAttempt(models.Model):
    """The delivery log: every HTTP attempt with its outcome."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "number"]
