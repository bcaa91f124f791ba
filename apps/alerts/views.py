"""The alerting page: notification channels (create, test, remove) and the delivery log."""

from django.shortcuts import render

from apps.alerts import services
from apps.alerts.models import Channel, ChannelKind, Delivery
from apps.core.pages import project_page

CONFIG_ROLES = frozenset({"admin", "sre"})
SEVERITIES = ("page", "ticket")


@project_page(CONFIG_ROLES)
def alerting(request, project):
    context: dict = {"error": "", "created": None, "tested": None}
    if request.method == "POST":
        try:
            context.update(_act(request, project))
        except services.ChannelError as exc:
            context["error"] = str(exc)
    return render(request, "alerts/alerting.html", {
        **context, "kinds": ChannelKind.choices, "severities": SEVERITIES,
        "channels": Channel.objects.filter(project=project).order_by("name"),
        "deliveries": Delivery.objects.filter(channel__project=project).select_related("channel", "event")
        .order_by("-created_at")[:200],
    }, status=400 if context["error"] else 200)


def _act(request, project) -> dict:
    post = request.POST
    action = post.get("action", "")
    if action == "create":
        kind = post.get("kind", "")
        config = {"url": post.get("url", "").strip()} if post.get("url", "").strip() else {}
        if kind == ChannelKind.PAGERDUTY:
            config["routing_key"] = post.get("routing_key", "").strip()
        labels = dict(pair.split("=", 1) for pair in post.get("match_labels", "").split(",") if "=" in pair)
        channel = services.channel_create(project, name=post.get("name", ""), kind=kind, config=config,
                                          severities=post.getlist("severities"),
                                          match_labels={k.strip(): v.strip() for k, v in labels.items()})
        return {"created": channel}
    channel = Channel.objects.filter(project=project, pk=int(post.get("channel", "0") or 0)).first()
    if channel is None:
        raise services.ChannelError("no such channel in this project")
    if action == "test":
        if not channel.enabled:
            raise services.ChannelError(f"the channel is disabled: {channel.disabled_reason}")
        return {"tested": services.channel_test(channel)}
    if action == "delete":
        channel.delete()
        return {}
    raise services.ChannelError(f"unknown action {action[:40]!r}")
