"""The product's audit trail: append-only records, hash-chained in order, and signed checkpoints.
Records are kept in the Django database, where a row lock gives the strict order a chain needs across
processes; they keep project ids as plain numbers so the trail outlives what it points to."""

from django.db import models


class AuditRecord(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENY = "deny", "Denied"

    seq = models.BigIntegerField(unique=True)
    event_id = models.CharField(max_length=32, unique=True)
    event_time = models.CharField(max_length=32)                 # UTC, ISO 8601 with microseconds
    project_id = models.BigIntegerField(null=True, blank=True)
    actor_type = models.CharField(max_length=16)                 # user | api_key | system | anonymous
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)                     # e.g. auth.sign_in, cost.override.create
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=128, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    source_ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["project_id", "seq"]), models.Index(fields=["action", "seq"])]

    FIELDS = ("seq", "event_id", "event_time", "project_id", "actor_type", "actor_id", "actor_name", "action",
              "target_type", "target_id", "outcome", "reason", "source_ip", "user_agent", "details", "prev_hash",
              "record_hash")

    def as_record(self) -> dict:
        return {f: getattr(self, f) for f in self.FIELDS}


class AuditHead(models.Model):
    """One row: the last sequence number and hash, locked while a record is appended."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)


class DecisionHead(models.Model):
    """Per project: the end of its decision chain (in the warehouse's decision_ledger) and the arrival
    time up to which guardrail decisions have been chained; locked while the seal task appends."""

    project_id = models.BigIntegerField(unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    chained_until = models.DateTimeField()


class AuditCheckpoint(models.Model):
    """A signed checkpoint of one stream: "product" (the trail above) or "decisions/<project id>"."""

    number = models.PositiveIntegerField()
    stream = models.CharField(max_length=32, default="product")
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    leaf_hashes = models.JSONField(default=list)                 # the record hashes sealed, in order (the
                                                                 # decision streams keep only the root)
    root_hash = models.CharField(max_length=64)
    prev_signature = models.CharField(max_length=128)
    signed_at = models.CharField(max_length=32)
    key_fingerprint = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    published_at = models.DateTimeField(null=True, blank=True)  # handed to INFEROPS_AUDIT_PUBLISH_URL

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["stream", "number"], name="audit_checkpoint_number")]

    FIELDS = ("stream", "number", "first_seq", "last_seq", "leaf_hashes", "root_hash", "prev_signature",
              "signed_at", "key_fingerprint", "signature")

    def as_checkpoint(self) -> dict:
        return {f: getattr(self, f) for f in self.FIELDS}
