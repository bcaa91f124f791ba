"""Sign-in, sign-out and failed sign-ins go to the audit trail, with where they came from; so does
every change of a configuration model (connected in AuditConfig.ready)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from warehouse.admin import retention_changed

from . import services
from .context import Actor, actor_of


@receiver(user_logged_in, dispatch_uid="audit.sign_in")
def signed_in(sender, request, user, **kwargs):
    services.record("auth.sign_in", target_type="user", target_id=user.pk, actor=actor_of(request)
                    if request is not None else Actor("user", str(user.pk), user.get_username()))


@receiver(user_logged_out, dispatch_uid="audit.sign_out")
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        source = actor_of(request) if request is not None else Actor()
        services.record("auth.sign_out", target_type="user", target_id=user.pk,
                        actor=Actor("user", str(user.pk), user.get_username(), source.ip, source.user_agent))


@receiver(user_login_failed, dispatch_uid="audit.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    source = actor_of(request) if request is not None else Actor("anonymous")
    # The username tried is kept (it is what an investigation needs); the password never is.
    services.record("auth.sign_in", outcome="failure", reason="wrong username or password",
                    target_type="user", target_id=str(credentials.get("username", ""))[:128],
                    actor=Actor("anonymous", "", "", source.ip, source.user_agent))


# -- configuration changes ------------------------------------------------------------------------


CONFIGURATION = {
    "core.Project", "core.Membership", "core.ApiKey", "core.Invitation", "slo.SLO", "alerts.Channel",
    "cost.PriceOverride", "cost.GpuPrice", "cost.Budget", "cost.CostSettings",
}
# Field names never copied into a record (secrets and their hashes).
SECRET = ("hash", "password", "secret", "token", "config")


def _label(instance) -> str:
    return f"{instance._meta.app_label}.{instance._meta.object_name}"


def _project_id(instance) -> int | None:
    if _label(instance) == "core.Project":
        return instance.pk
    return getattr(instance, "project_id", None)


def _fields(names) -> list[str]:
    return sorted(n for n in names if not any(s in n for s in SECRET))


def configuration_saved(sender, instance, created, update_fields=None, **kwargs):
    label = _label(instance)
    if label == _label_of_user() and update_fields and set(update_fields) <= {"last_login"}:
        return                  # signing in touches last_login; the sign-in itself is recorded
    if label not in CONFIGURATION and label != _label_of_user():
        return
    noun = instance._meta.model_name
    details = {"fields": _fields(update_fields)} if update_fields else {}
    services.record(f"{instance._meta.app_label}.{noun}.{'create' if created else 'update'}",
                    project_id=_project_id(instance), target_type=noun, target_id=instance.pk,
                    details={**details, "label": str(instance)[:120]})


def configuration_deleted(sender, instance, **kwargs):
    label = _label(instance)
    if label not in CONFIGURATION and label != _label_of_user():
        return
    noun = instance._meta.model_name
    services.record(f"{instance._meta.app_label}.{noun}.delete", project_id=_project_id(instance),
                    target_type=noun, target_id=instance.pk, details={"label": str(instance)[:120]})


def connect_configuration() -> None:
    """Listen to the configuration models only: a receiver without a sender would turn off Django's
    fast bulk delete for every model."""
    for label in [*CONFIGURATION, _label_of_user()]:
        model = apps.get_model(label)
        post_save.connect(configuration_saved, sender=model, dispatch_uid=f"audit.saved.{label}")
        post_delete.connect(configuration_deleted, sender=model, dispatch_uid=f"audit.deleted.{label}")


def _label_of_user() -> str:
    model = get_user_model()
    return f"{model._meta.app_label}.{model._meta.object_name}"


@receiver(retention_changed, dispatch_uid="audit.retention")
def retention_set(sender, tables, days, **kwargs):
    """Retention comes from settings and takes effect when the warehouse is migrated: that is the change."""
    services.record("warehouse.retention.update", target_type="retention", target_id="warehouse",
                    details={"tables": sorted(tables), "days": dict(sorted(days.items()))})
