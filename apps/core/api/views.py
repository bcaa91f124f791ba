"""Tenancy over the API: the caller's projects, a project's keys and its members (the settings page's data)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import services
from apps.core.api.base import ProjectAPIView
from apps.core.models import ApiKey, KeyKind, Membership
from apps.core.pages import invitation_path
from apps.core.selectors import projects_for, role_for

KEY_ROLES = frozenset({"admin", "sre"})


class ProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    slug = serializers.CharField()
    organisation = serializers.CharField(source="organisation.name")
    is_demo = serializers.BooleanField()


class KeySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    kind = serializers.CharField()
    role = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField()


class MemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()


class ProjectListView(APIView):
    """The projects the signed-in user is a member of, with their role."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request):
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied("read keys are scoped to one project; list projects as a signed-in member")
        projects = projects_for(request.user).select_related("organisation")
        return Response([{**ProjectSerializer(p).data, "role": role_for(request.user, p)} for p in projects])


class KeyListView(ProjectAPIView):
    """A project's keys (prefixes only; the secret is shown once, when created). Admins and SREs."""

    read_roles = write_roles = KEY_ROLES

    @extend_schema(responses=KeySerializer(many=True))
    def get(self, request, project_id: int):
        return Response(KeySerializer(ApiKey.objects.filter(project=self.project).order_by("-created_at"), many=True).data)

    def post(self, request, project_id: int):
        kind = str(request.data.get("kind", KeyKind.INGEST))
        if kind == KeyKind.READ and self.role != "admin":
            raise PermissionDenied("only admins create read keys")
        try:
            issued = services.api_key_create(self.project, kind=kind,
                                             name=str(request.data.get("name", ""))[:120],
                                             role=str(request.data.get("role", "")), created_by=request.user)
        except services.TenancyError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response({**KeySerializer(issued.key).data, "key": issued.plaintext}, status=201)


class KeyDetailView(ProjectAPIView):
    read_roles = write_roles = KEY_ROLES

    def delete(self, request, project_id: int, key_id: int):
        key = ApiKey.objects.filter(project=self.project, pk=key_id).first()
        if key is None:
            raise NotFound("no such key in this project")
        if key.kind == KeyKind.READ and self.role != "admin":
            raise PermissionDenied("only admins revoke read keys")
        services.api_key_revoke(key)
        return Response(status=204)


class MemberListView(ProjectAPIView):
    """Members and their roles (admins). POST ``{"role": …}`` creates a one-time invitation link."""

    read_roles = write_roles = frozenset({"admin"})

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, project_id: int):
        members = Membership.objects.filter(project=self.project).select_related("user").order_by("user__username")
        return Response(MemberSerializer(members, many=True).data)

    def post(self, request, project_id: int):
        try:
            issued = services.invitation_create(self.project, str(request.data.get("role", "")), request.user)
        except services.TenancyError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response({"role": issued.invitation.role, "expires_at": issued.invitation.expires_at,
                         "invite_url": request.build_absolute_uri(invitation_path(issued.token))}, status=201)


class MemberDetailView(ProjectAPIView):
    read_roles = write_roles = frozenset({"admin"})

    def patch(self, request, project_id: int, user_id: int):
        try:
            membership = services.member_set_role(self.project, user_id, str(request.data.get("role", "")))
        except services.TenancyError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(MemberSerializer(membership).data)

    def delete(self, request, project_id: int, user_id: int):
        if not get_user_model().objects.filter(pk=user_id, memberships__project=self.project).exists():
            raise NotFound("no such member")
        try:
            services.member_remove(self.project, user_id)
        except services.TenancyError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(status=204)
