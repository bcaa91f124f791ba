from rest_framework import serializers

from apps.slo.models import SLO, AlertEvent, SLOAlert


class SLOSerializer(serializers.ModelSerializer):
    objective = serializers.DecimalField(max_digits=7, decimal_places=5, coerce_to_string=False)
    timeslice_target = serializers.DecimalField(max_digits=7, decimal_places=5, coerce_to_string=False,
                                                allow_null=True, required=False)

    class Meta:
        model = SLO
        fields = ["id", "name", "description", "sli_kind", "target", "threshold_ms", "filters", "objective", "window",
                  "budgeting", "timeslice_target", "alert_windows", "enabled", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = SLOAlert
        fields = ["severity", "state", "episode", "fired_at", "resolved_at"]


class AlertEventSerializer(serializers.ModelSerializer):
    severity = serializers.CharField(source="alert.severity")

    class Meta:
        model = AlertEvent
        fields = ["severity", "episode", "kind", "at", "summary", "burn_rates", "exemplars"]
