"""What finance configures (price overrides, GPU-hour prices, budgets, attribution keys) and the
records that must stay explainable: price versions (frozen snapshots) and cost runs. The cost figures
themselves live in the warehouse ledger (``cost_ledger``), each row stamped with its price version."""

from django.conf import settings
from django.db import models

from apps.core.models import Project

from .pricing import MATCH_KINDS

MTOK = {"max_digits": 18, "decimal_places": 9, "null": True, "blank": True}


class PriceOverride(models.Model):
    class Kind(models.TextChoices):
        PRICE = "price", "Own price per million tokens"
        DISCOUNT = "discount", "Discount on the list price"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="price_overrides")
    name = models.CharField(max_length=80)
    provider = models.CharField(max_length=64, blank=True)          # empty: any provider
    tenant = models.CharField(max_length=128, blank=True)           # empty: every tenant
    match = models.CharField(max_length=12, choices=[(k, k) for k in MATCH_KINDS], default="equals")
    pattern = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRICE)
    input_mtok = models.DecimalField(**MTOK)
    output_mtok = models.DecimalField(**MTOK)
    cache_read_mtok = models.DecimalField(**MTOK)
    cache_write_mtok = models.DecimalField(**MTOK)
    reasoning_mtok = models.DecimalField(**MTOK)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)          # exclusive
    priority = models.PositiveSmallIntegerField(default=100)        # lower first; the first match wins
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]

    def snapshot(self) -> dict:
        def text(value):
            return None if value is None else str(value)

        return {"id": self.pk, "name": self.name, "provider": self.provider, "tenant": self.tenant,
                "match": self.match, "pattern": self.pattern, "kind": self.kind,
                "input": text(self.input_mtok), "output": text(self.output_mtok),
                "cache_read": text(self.cache_read_mtok), "cache_write": text(self.cache_write_mtok),
                "reasoning": text(self.reasoning_mtok), "discount_percent": text(self.discount_percent),
                "effective_from": self.effective_from.isoformat(),
                "effective_to": self.effective_to.isoformat() if self.effective_to else None,
                "priority": self.priority}


class GpuPrice(models.Model):
    """What one GPU costs per hour in a pool (matched by host pattern and GPU model)."""

    class Pricing(models.TextChoices):
        ON_DEMAND = "on_demand", "On demand"
        RESERVED = "reserved", "Reserved"
        AMORTISED = "amortised", "Amortised (owned)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gpu_prices")
    name = models.CharField(max_length=80)
    host_pattern = models.CharField(max_length=200, blank=True)     # glob on host; empty: every host
    gpu_model = models.CharField(max_length=80, blank=True)         # substring of the GPU model name
    hourly_usd = models.DecimalField(max_digits=12, decimal_places=6)
    pricing = models.CharField(max_length=10, choices=Pricing.choices, default=Pricing.ON_DEMAND)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]

    def snapshot(self) -> dict:
        return {"id": self.pk, "name": self.name, "host_pattern": self.host_pattern, "gpu_model": self.gpu_model,
                "hourly_usd": str(self.hourly_usd), "pricing": self.pricing,
                "effective_from": self.effective_from.isoformat(),
                "effective_to": self.effective_to.isoformat() if self.effective_to else None,
                "priority": self.priority}


class PriceVersion(models.Model):
    """A frozen price book: the catalogue version and a copy of every override and GPU price as they
    were. A new version is cut whenever any of them changes; ledger rows name the version they used."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="price_versions")
    number = models.PositiveIntegerField()
    catalogue = models.CharField(max_length=64)
    overrides = models.JSONField(default=list)
    gpu_prices = models.JSONField(default=list)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="one_price_version_number")]
        ordering = ["-number"]

    @property
    def label(self) -> str:
        return f"v{self.number} ({self.catalogue})"


def default_attribution() -> dict:
    return {"team": ["team", "team.name", "inferops.team"],
            "user": ["user.id", "enduser.id", "gen_ai.user.id"],
            "feature": ["feature", "inferops.feature", "app.feature"]}


class CostSettings(models.Model):
    """Per project: which attribute keys attribute cost to a team, a user, a feature and any other
    dimension (the first key present on the span, then on its resource, wins), and the state of
    the costing job (a lease, so that one writer at a time posts to the project's ledger)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="cost_settings")
    attribution = models.JSONField(default=default_attribution)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    costed_until = models.DateTimeField(null=True, blank=True)


class CostRun(models.Model):
    class Kind(models.TextChoices):
        LIVE = "live", "Live (recent minutes)"
        SWEEP = "sweep", "Late-data sweep"
        RECOMPUTE = "recompute", "Recompute"

    class Status(models.TextChoices):
        PENDING = "pending", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_runs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    price_version = models.ForeignKey(PriceVersion, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    posting = models.BigIntegerField()                       # the posting id its ledger rows carry
    posted = models.PositiveIntegerField(default=0)          # new figures
    reversed = models.PositiveIntegerField(default=0)        # earlier figures cancelled
    unchanged = models.PositiveIntegerField(default=0)
    total_before = models.DecimalField(max_digits=30, decimal_places=15, null=True, blank=True)
    total_after = models.DecimalField(max_digits=30, decimal_places=15, null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]


class Budget(models.Model):
    class Scope(models.TextChoices):
        PROJECT = "project", "Whole project"
        TEAM = "team", "Team"
        TENANT = "tenant", "Tenant"
        MODEL = "model", "Model"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budgets")
    name = models.CharField(max_length=80)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.PROJECT)
    scope_value = models.CharField(max_length=200, blank=True)
    monthly_usd = models.DecimalField(max_digits=14, decimal_places=2)
    thresholds = models.JSONField(default=list)                 # percent, e.g. [50, 80, 100]
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="one_budget_name_per_project")]
        ordering = ["name"]


class BudgetAlert(models.Model):
    """One threshold crossed in one month, on actual spend or on the month-end forecast; the unique
    constraint makes it fire once."""

    class Basis(models.TextChoices):
        ACTUAL = "actual", "Actual spend"
        FORECAST = "forecast", "Month-end forecast"

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    month = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    basis = models.CharField(max_length=8, choices=Basis.choices)
    spend = models.DecimalField(max_digits=30, decimal_places=15)
    forecast = models.DecimalField(max_digits=30, decimal_places=15)
    fired_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["budget", "month", "threshold", "basis"],
                                               name="budget_threshold_fires_once")]
        ordering = ["-fired_at"]
