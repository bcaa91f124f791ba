"""The base of every project-scoped API view: who may call it, and how its errors read."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit import context as audit_context
from apps.core.api.permissions import HasProjectRole, ReadKeyAuthentication, ReadKeysOnlyRead
from apps.telemetry.query import DIMENSIONS, QueryError
from warehouse import WarehouseError
from warehouse.errors import ResourceLimit, WarehouseUnavailable

WINDOW_PARAMS = [OpenApiParameter("range", str, description="15m, 1h, 6h, 24h, 7d or 30d (default 1h)"),
                 OpenApiParameter("start", str, description="ISO 8601 with timezone; with end, an absolute window"),
                 OpenApiParameter("end", str)]
FILTER_PARAMS = [OpenApiParameter(d, str, many=True, description=f"only these {d} values") for d in DIMENSIONS]
ALL_ROLES = frozenset({"admin", "sre", "finance", "auditor", "viewer"})


class ProjectAPIView(APIView):
    """``read_roles`` may GET, ``write_roles`` may change; everyone else gets 403 (404 for non-members)."""

    authentication_classes = [ReadKeyAuthentication, SessionAuthentication]
    permission_classes = [ReadKeysOnlyRead, HasProjectRole]
    read_roles: frozenset[str] = ALL_ROLES
    write_roles: frozenset[str] = frozenset({"admin"})

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # DRF authenticates here (session or read key): the audit trail learns the actor now.
        audit_context.current.set(audit_context.actor_of(request))

    @property
    def allowed_roles(self) -> frozenset[str]:
        return self.read_roles if self.request.method in permissions.SAFE_METHODS else self.write_roles

    def handle_exception(self, exc):
        if isinstance(exc, QueryError):
            return Response({"detail": str(exc)}, status=400)
        if isinstance(exc, (WarehouseUnavailable, ResourceLimit)):
            return Response({"detail": f"the warehouse could not answer: {exc}"}, status=503,
                            headers={"Retry-After": "5"})
        if isinstance(exc, WarehouseError):
            return Response({"detail": f"the query failed: {exc}"}, status=400)
        return super().handle_exception(exc)
