"""Sign-in throttling: after too many failed sign-ins for one username, or from one address, within
the window, further attempts are refused (429) until the window has passed — a correct password
included, so guessing gains nothing. Counts live in the cache (Redis in distributed mode). The
middleware guards every sign-in form (the app's and the admin's)."""

import unicodedata

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import escape

from apps.audit import services as audit
from apps.audit.context import actor_of


def _keys(request, username: str) -> tuple[str, str]:
    # Normalised as the authentication form does (NFKC), then case-folded: "ａｌｉｃｅ" is "alice".
    name = unicodedata.normalize("NFKC", username).strip().casefold()[:150]
    return f"signin-fail:user:{name}", f"signin-fail:addr:{request.META.get('REMOTE_ADDR', '')}"


def refused(request, username: str) -> bool:
    by_user, by_addr = _keys(request, username)
    return (cache.get(by_user, 0) >= settings.SIGN_IN_FAILURES_PER_USER
            or cache.get(by_addr, 0) >= settings.SIGN_IN_FAILURES_PER_ADDRESS)


@receiver(user_login_failed, dispatch_uid="core.count_sign_in_failures")
def count_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    for key in _keys(request, str(credentials.get("username", ""))):
        if not cache.add(key, 1, timeout=settings.SIGN_IN_WINDOW_S):
            try:
                cache.incr(key)
            except ValueError:      # expired between add and incr
                cache.add(key, 1, timeout=settings.SIGN_IN_WINDOW_S)


class SignInThrottleMiddleware:
    """Refuses sign-in attempts (POSTs to a sign-in form) past the limits, before any password check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in (reverse("login"), reverse("admin:login")):
            username = request.POST.get("username", "")
            if refused(request, username):
                audit.record("auth.sign_in", outcome="deny", reason="too many failed sign-ins",
                             target_type="user", target_id=username[:128], actor=actor_of(request))
                minutes = settings.SIGN_IN_WINDOW_S // 60
                return HttpResponse(f"<!doctype html><title>Too many sign-ins</title><p>Too many failed sign-ins for "
                                    f"{escape(username[:150])}. Try again in {minutes} minutes. "
                                    f"<a href=\"{reverse('login')}\">Back</a></p>", status=429)
        return self.get_response(request)
