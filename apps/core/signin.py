"""Sign-in throttling: after too many failed sign-ins for one username, or from one address, within
the window, further attempts are refused (429) until the window has passed — a correct password
included, so guessing gains nothing. Counts live in the cache (Redis in distributed mode)."""

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.dispatch import receiver

from apps.audit import services as audit
from apps.audit.context import actor_of


def _keys(request, username: str) -> tuple[str, str]:
    return (f"signin-fail:user:{username.strip().lower()[:150]}",
            f"signin-fail:addr:{request.META.get('REMOTE_ADDR', '')}")


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


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if refused(request, username):
            audit.record("auth.sign_in", outcome="deny", reason="too many failed sign-ins",
                         target_type="user", target_id=username[:128], actor=actor_of(request))
            form = self.get_form()
            form.add_error(None, f"Too many failed sign-ins. Try again in {settings.SIGN_IN_WINDOW_S // 60} minutes.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)
