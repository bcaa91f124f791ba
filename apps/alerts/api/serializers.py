from rest_framework import serializers

from apps.alerts.models import Channel, Delivery, DeliveryAttempt
from apps.alerts.services import channel_hint


class ChannelSerializer(serializers.ModelSerializer):
    """A channel without its credentials: only a hint of where it sends."""

    target = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = ["id", "name", "kind", "target", "severities", "match_labels", "send_resolved", "enabled",
                  "disabled_reason", "created_at"]

    def get_target(self, channel: Channel) -> str:
        return channel_hint(channel)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "status_code", "error", "duration_ms"]


class DeliverySerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.name")
    summary = serializers.SerializerMethodField()
    log = AttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = ["id", "channel", "message_id", "summary", "is_test", "status", "attempts", "next_attempt_at",
                  "delivered_at", "last_status_code", "last_error", "created_at", "log"]

    def get_summary(self, delivery: Delivery) -> str:
        return str(delivery.payload.get("summary", ""))
