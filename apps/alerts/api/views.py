"""Channel configuration (admins and SREs), test notifications and the delivery log."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.alerts import services
from apps.alerts.api.serializers import ChannelSerializer, DeliverySerializer
from apps.alerts.models import Channel, Delivery
from apps.core.api.permissions import HasProjectRole, ReadKeyAuthentication, ReadKeysOnlyRead

CONFIG_ROLES = {"admin", "sre"}
CREATE_FIELDS = {"name", "kind", "config", "severities", "match_labels", "send_resolved"}


class _ChannelsView(APIView):
    """Channels hold credentials: only admins and SREs see or change them."""

    authentication_classes = [ReadKeyAuthentication, SessionAuthentication]
    permission_classes = [ReadKeysOnlyRead, HasProjectRole]
    allowed_roles = CONFIG_ROLES


class ChannelListView(_ChannelsView):
    @extend_schema(responses=ChannelSerializer(many=True))
    def get(self, request, project_id: int):
        return Response(ChannelSerializer(Channel.objects.filter(project=self.project), many=True).data)

    @extend_schema(request=ChannelSerializer, responses={201: ChannelSerializer})
    def post(self, request, project_id: int):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": "send a JSON object"})
        unknown = set(request.data) - CREATE_FIELDS
        if unknown:
            raise ValidationError({"detail": f"unknown fields: {', '.join(sorted(unknown))}"})
        try:
            fields: dict = {k: request.data[k] for k in CREATE_FIELDS if k in request.data}
            channel = services.channel_create(self.project, **fields)
        except (services.ChannelError, TypeError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        body = ChannelSerializer(channel).data
        if channel.kind == "webhook":
            body["signing_secret"] = channel.config["secret"]     # shown once, to configure the receiver
        return Response(body, status=status.HTTP_201_CREATED)


class ChannelDetailView(_ChannelsView):
    def delete(self, request, project_id: int, channel_id: int):
        get_object_or_404(Channel, pk=channel_id, project=self.project).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelTestView(_ChannelsView):
    """Send a test notification through the channel now and answer with the delivery's outcome."""

    @extend_schema(request=None, responses=DeliverySerializer)
    def post(self, request, project_id: int, channel_id: int):
        channel = get_object_or_404(Channel, pk=channel_id, project=self.project)
        if not channel.enabled:
            raise ValidationError({"detail": f"the channel is disabled: {channel.disabled_reason}"})
        return Response(DeliverySerializer(services.channel_test(channel)).data)


class DeliveryLogView(_ChannelsView):
    @extend_schema(responses=DeliverySerializer(many=True))
    def get(self, request, project_id: int):
        deliveries = (Delivery.objects.filter(channel__project=self.project).select_related("channel")
                      .prefetch_related("log")[:200])
        return Response(DeliverySerializer(deliveries, many=True).data)



