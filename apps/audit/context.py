"""Who is acting and from where, for the records a request writes: set by the middleware, read by
``services.record`` (services stay free of request objects)."""

from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Actor:
    type: str = "system"         # user | api_key | system | anonymous
    id: str = ""
    name: str = ""
    ip: str = ""
    user_agent: str = ""


current: ContextVar[Actor] = ContextVar("audit_actor", default=Actor())  # noqa: B039 - Actor is frozen


def actor_of(request) -> Actor:
    ip = request.META.get("REMOTE_ADDR", "")
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    key = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    if key is not None and hasattr(key, "prefix"):
        return Actor("api_key", str(key.pk), f"key {key.prefix}", ip, agent)
    if user is not None and user.is_authenticated:
        return Actor("user", str(user.pk), user.get_username(), ip, agent)
    return Actor("anonymous", "", "", ip, agent)


class AuditContextMiddleware:
    """Makes the request's actor and source available to the records written while it runs. A request
    that may change something runs in one transaction, so a configuration change and its audit record
    are saved together or not at all (a change the trail cannot record is not made)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current.set(actor_of(request))
        try:
            if request.method in SAFE_METHODS:
                return self.get_response(request)
            with transaction.atomic():
                return self.get_response(request)
        finally:
            current.reset(token)
