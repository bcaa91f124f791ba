"""Notification channels, routing and delivery.

Each alert event becomes one ``Delivery`` per matching channel. An attempt first claims the
delivery by compare-and-set (pending and due → in flight), so two workers never send the same
attempt; the result is written only by the claim that made the attempt. A worker that dies mid-
attempt leaves its claim to expire, and the sweeper hands the delivery out again with the same
message id (``webhook-id``, PagerDuty ``dedup_key``), which is what receivers deduplicate on.
"""

import ipaddress
import logging
import random
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.models import Project
from apps.slo.models import AlertEvent

from . import payloads, signing
from .models import Channel, ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus

logger = logging.getLogger(__name__)
RETRY_SCHEDULE_S = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)   # Standard Webhooks' example
_KIND_FIELDS = {ChannelKind.PAGERDUTY: {"routing_key", "url"}, ChannelKind.ALERTMANAGER: {"url"},
                ChannelKind.SLACK: {"url"}, ChannelKind.WEBHOOK: {"url", "secret"}}
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


class ChannelError(ValueError):
    """A channel configuration was refused; the message names the field."""


# -- channels -------------------------------------------------------------------------------------

def channel_create(project: Project, *, name: str, kind: str, config: dict, severities: list | None = None,
                   match_labels: dict | None = None, send_resolved: bool = True) -> Channel:
    """A new channel; a webhook channel without a secret gets a fresh one (returned once by the API)."""
    if kind not in ChannelKind.values:
        raise ChannelError(f"kind: {kind!r} is not one of {', '.join(ChannelKind.values)}")
    config = dict(config or {})
    if kind == ChannelKind.WEBHOOK and not config.get("secret"):
        config["secret"] = signing.new_secret()
    clean = validate_config(kind, config)
    fields = dict(name=_name(name), kind=kind, config=clean, severities=_severities(severities or []),
                  match_labels=_labels(match_labels or {}), send_resolved=bool(send_resolved))
    try:
        with transaction.atomic():
            return Channel.objects.create(project=project, **fields)
    except IntegrityError as exc:
        if not Channel.objects.filter(project=project, name=fields["name"]).exists():
            raise                   # not the name: something else refused the write
        raise ChannelError(f"name: a channel named {fields['name']!r} already exists in this project") from exc


def validate_config(kind: str, config: dict) -> dict:
    if not isinstance(config, dict):
        raise ChannelError("config: an object")
    unknown = set(config) - _KIND_FIELDS[ChannelKind(kind)]
    if unknown:
        raise ChannelError(f"config: unknown fields {', '.join(sorted(unknown))} for a {kind} channel")
    url = config.get("url") or (PAGERDUTY_URL if kind == ChannelKind.PAGERDUTY else "")
    clean = {"url": _url(url)}
    if kind == ChannelKind.PAGERDUTY:
        key = str(config.get("routing_key", ""))
        if len(key) != 32 or not key.isalnum():
            raise ChannelError("config.routing_key: a PagerDuty integration key is 32 letters and digits")
        clean["routing_key"] = key
    if kind == ChannelKind.WEBHOOK:
        try:
            signing.secret_key(str(config.get("secret", "")))
        except ValueError as exc:
            raise ChannelError(f"config.secret: {exc}") from exc
        clean["secret"] = config["secret"]
    return clean


def _url(url: str) -> str:
    parts = urlsplit(str(url))
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 2000:
        raise ChannelError(f"config.url: {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not settings.ALERTS_ALLOW_HTTP:
        raise ChannelError("config.url: must be https (plain http is allowed only with INFEROPS_ALERTS_ALLOW_HTTP)")
    if _private(parts.hostname) and not settings.ALERTS_ALLOW_HTTP:
        # Channels must not turn InferOps into a probe of its own network.
        raise ChannelError(f"config.url: {parts.hostname} is a local or private address "
                           "(allowed only with INFEROPS_ALERTS_ALLOW_HTTP, for receivers on a private network)")
    return str(url)


def _private(host: str) -> bool:
    try:
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False            # unresolvable now: delivery will fail and be logged, nothing is probed
    return any(a.is_private or a.is_loopback or a.is_link_local for a in addresses)


def _name(name) -> str:
    text = str(name or "").strip()
    if not 0 < len(text) <= 80:
        raise ChannelError("name: 1–80 characters")
    return text


def _severities(values) -> list[str]:
    if not isinstance(values, list) or not set(values) <= {"page", "ticket"}:
        raise ChannelError("severities: a list of 'page' and/or 'ticket' (empty: both)")
    return sorted(set(values))


def _labels(labels) -> dict:
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise ChannelError("match_labels: an object of label → value strings")
    return labels


def channel_hint(channel: Channel) -> str:
    """What the API shows of a channel's target: host and the last characters of any key."""
    host = urlsplit(channel.config.get("url", "")).hostname or ""
    key = channel.config.get("routing_key") or channel.config.get("secret") or ""
    return f"{host} …{key[-4:]}" if key else host


# -- notifications --------------------------------------------------------------------------------

def notification(event: AlertEvent, now: datetime) -> dict:
    alert = event.alert
    slo = alert.slo
    project = slo.project
    base = settings.PUBLIC_URL.rstrip("/")
    labels = {"project": project.slug, "slo": slo.name, "severity": alert.severity, "sli": slo.sli_kind,
              **{key: ",".join(values) for key, values in sorted((slo.filters or {}).items())}}
    fired = alert.fired_at or event.at
    return {
        "id": f"inferops-slo-{slo.pk}-{alert.severity}-{event.episode}-{event.kind}",
        "status": event.kind, "severity": alert.severity, "summary": event.summary, "labels": labels,
        "project": {"id": project.pk, "name": project.name, "slug": project.slug},
        "slo": {"id": slo.pk, "name": slo.name, "objective": float(slo.objective), "sli_kind": slo.sli_kind},
        "episode": event.episode, "starts_at": _rfc3339(fired),
        "ends_at": _rfc3339(event.at) if event.kind == AlertEvent.Kind.RESOLVED else None,
        "burn_rates": event.burn_rates,
        "exemplars": [{**e, "url": f"{base}/projects/{project.pk}/traces/{e['trace_id']}"} for e in event.exemplars],
        "dedup_key": f"inferops/{project.slug}/slo/{slo.pk}/{alert.severity}"[:255],
        "url": f"{base}/projects/{project.pk}/slos/{slo.pk}",
        "sent_at": _rfc3339(now),
    }


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def routes(channel: Channel, n: dict) -> bool:
    if not channel.enabled or (channel.severities and n["severity"] not in channel.severities):
        return False
    if n["status"] == "resolved" and not channel.send_resolved:
        return False
    return all(n["labels"].get(key) == value for key, value in channel.match_labels.items())


def events_notify(events: list[AlertEvent]) -> list[Delivery]:
    """A delivery per event and matching channel; each is sent after the transaction commits."""
    now = timezone.now()
    created = []
    for event in events:
        n = notification(event, now)
        for channel in Channel.objects.filter(project_id=event.alert.slo.project_id, enabled=True):
            if routes(channel, n):
                created.append(_delivery(channel, event, n, now))
    for delivery in created:
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))
    return created


def notify(project_id: int, n: dict) -> list[Delivery]:
    """Deliver a notification that is not an SLO alert event (a budget threshold, …) through every
    channel of the project that routes it; its id makes each delivery happen once."""
    now = timezone.now()
    created = [_delivery(channel, None, n, now) for channel in Channel.objects.filter(project_id=project_id, enabled=True)
               if routes(channel, n)]
    for delivery in created:
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))
    return created


def _delivery(channel: Channel, event: AlertEvent | None, n: dict, now: datetime, test: bool = False) -> Delivery:
    message_id = f"msg_{n['id']}_{channel.pk}" if not test else f"msg_test_{channel.pk}_{int(now.timestamp() * 1e6)}"
    delivery, _ = Delivery.objects.get_or_create(
        message_id=message_id[:64],
        defaults={"channel": channel, "event": event, "payload": n, "is_test": test, "next_attempt_at": now})
    return delivery


def channel_test(channel: Channel) -> Delivery:
    """Send a clearly marked test notification through the channel now (synchronously)."""
    now = timezone.now()
    n = {"id": f"test-{channel.pk}", "status": "firing", "severity": "page",
         "summary": f"[test] InferOps test notification for channel {channel.name}",
         "labels": {"project": channel.project.slug, "slo": "test", "severity": "page", "test": "true"},
         "project": {"id": channel.project_id, "name": channel.project.name, "slug": channel.project.slug},
         "slo": {"id": 0, "name": "test notification", "objective": 0.999, "sli_kind": "availability"},
         "episode": 0, "starts_at": _rfc3339(now), "ends_at": None, "burn_rates": {},
         "exemplars": [], "dedup_key": f"inferops/{channel.project.slug}/test/{channel.pk}",
         "url": settings.PUBLIC_URL, "sent_at": _rfc3339(now)}
    delivery = _delivery(channel, None, n, now, test=True)
    delivery_attempt(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _enqueue(delivery_id: int) -> None:
    from .tasks import deliver

    deliver.delay(delivery_id)


# -- attempts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    status_code: int | None
    body: str
    error: str
    duration_ms: int


def delivery_attempt(delivery_id: int) -> str | None:
    """Claim and make one attempt if the delivery is due; returns its new status (None: not claimed)."""
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                                      channel__enabled=True).update(
        status=DeliveryStatus.IN_FLIGHT, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    wait = _throttle_wait(delivery.channel, delivery.pk, now)
    if wait is not None:
        # Over the receiver's rate: hand the claim back (not counted as an attempt) and come back later.
        later = now + wait
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.IN_FLIGHT, attempts=delivery.attempts).update(
            status=DeliveryStatus.PENDING, attempts=F("attempts") - 1, next_attempt_at=later,
            last_error=f"throttled: waiting {wait.total_seconds():.1f} s for the receiver's rate limit")
        _schedule(delivery.pk, later)
        return "throttled"
    if _superseded(delivery):
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.IN_FLIGHT).update(
            status=DeliveryStatus.SUPERSEDED, last_error="the alert resolved before this firing was delivered")
        return str(DeliveryStatus.SUPERSEDED)
    sent = _send(delivery.channel, delivery.payload, delivery.message_id)
    return _record(delivery, sent)


def _throttle_wait(channel: Channel, delivery_id: int, now: datetime) -> timedelta | None:
    """How long to wait before sending through ``channel`` (None: send now). PagerDuty takes about 120
    events a minute per integration key and Slack one message a second per webhook (STANDARDS.md): sends
    already made in the window, and others in flight, count against the limit."""
    if channel.kind == ChannelKind.PAGERDUTY:
        limit, window = settings.ALERTS_PAGERDUTY_PER_MINUTE, timedelta(seconds=60)
        same: dict = {"channel__kind": ChannelKind.PAGERDUTY, "channel__config__routing_key": channel.config["routing_key"]}
    elif channel.kind == ChannelKind.SLACK:
        limit, window = 1, timedelta(seconds=1)
        same = {"channel": channel}
    else:
        return None
    sent = list(DeliveryAttempt.objects.filter(at__gt=now - window, **{f"delivery__{k}": v for k, v in same.items()})
                .order_by("at").values_list("at", flat=True))
    in_flight = Delivery.objects.filter(status=DeliveryStatus.IN_FLIGHT, **same).exclude(pk=delivery_id).count()
    if len(sent) + in_flight < limit:
        return None
    oldest = sent[max(len(sent) - limit + in_flight, 0)] if sent else now
    return max(oldest + window - now, timedelta(milliseconds=200))


def _superseded(delivery: Delivery) -> bool:
    """A firing still being retried after its episode resolved must not be sent: arriving after the
    resolution, it would open an incident (PagerDuty, Alertmanager) that nothing closes."""
    event = delivery.event
    if event is None or event.kind != AlertEvent.Kind.FIRING:
        return False
    return AlertEvent.objects.filter(alert_id=event.alert_id, episode__gte=event.episode).exclude(pk=event.pk).exists()


def _send(channel: Channel, n: dict, message_id: str) -> Sent:
    body, headers = _request(channel, n, message_id)
    began = time.monotonic()
    try:
        reply = requests.post(channel.config["url"], data=body, headers=headers,
                              timeout=settings.ALERTS_HTTP_TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as exc:
        # Never the exception's text: requests puts the URL, with any token in its path, in it.
        host = urlsplit(channel.config["url"]).hostname or ""
        return Sent(None, "", f"{type(exc).__name__} sending to {host}", _ms(began))
    return Sent(reply.status_code, reply.text[:500], "", _ms(began))


def _ms(began: float) -> int:
    return int((time.monotonic() - began) * 1000)


def _request(channel: Channel, n: dict, message_id: str) -> tuple[bytes, dict]:
    headers = {"content-type": "application/json", "user-agent": "InferOps-Alerts/1"}
    kind = channel.kind
    if kind == ChannelKind.PAGERDUTY:
        return payloads.encode(payloads.pagerduty(n, channel.config["routing_key"])), headers
    if kind == ChannelKind.ALERTMANAGER:
        return payloads.encode(payloads.alertmanager(n, channel.name, settings.PUBLIC_URL)), headers
    if kind == ChannelKind.SLACK:
        return payloads.encode(payloads.slack(n)), headers
    body = payloads.encode(payloads.webhook(n))
    timestamp = int(time.time())
    headers.update({"webhook-id": message_id, "webhook-timestamp": str(timestamp),
                    "webhook-signature": signing.sign(channel.config["secret"], message_id, timestamp, body)})
    return body, headers


def classify(kind: str, sent: Sent) -> str:
    """delivered | retry | failed | disable, per each receiver's documented answers."""
    code = sent.status_code
    if code is None:
        return "retry"                                       # network error or timeout
    if code == 410 or (kind == ChannelKind.SLACK and code == 404):
        return "disable"                                     # gone (Slack: channel not found or archived)
    if 200 <= code < 300:
        return "delivered"
    if kind == ChannelKind.WEBHOOK or code == 429 or code >= 500:
        return "retry"                                       # Standard Webhooks retries every non-2xx
    return "failed"


def _record(delivery: Delivery, sent: Sent) -> str:
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, at=now,
                                   status_code=sent.status_code, error=sent.error, duration_ms=sent.duration_ms)
    verdict = classify(delivery.channel.kind, sent)
    fields: dict = {"last_status_code": sent.status_code, "last_error": sent.error or sent.body[:200]}
    if verdict == "delivered":
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif verdict == "retry" and delivery.attempts < len(RETRY_SCHEDULE_S):
        delay = RETRY_SCHEDULE_S[delivery.attempts] * random.uniform(0.9, 1.1)
        fields.update(status=DeliveryStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay))
    else:
        fields.update(status=DeliveryStatus.GAVE_UP if verdict == "retry" else DeliveryStatus.FAILED)
    # Only the claim that made this attempt may record it (a stale worker's late answer is ignored).
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.IN_FLIGHT, attempts=delivery.attempts).update(**fields)
    if verdict == "disable":
        Channel.objects.filter(pk=delivery.channel_id).update(
            enabled=False, disabled_reason=f"the receiver answered {sent.status_code} (gone) at {_rfc3339(now)}")
    elif fields["status"] == DeliveryStatus.PENDING:
        _schedule(delivery.pk, fields["next_attempt_at"])
    return str(fields["status"])


def _schedule(delivery_id: int, at: datetime) -> None:
    from .tasks import deliver

    deliver.apply_async((delivery_id,), eta=at)


def deliveries_sweep() -> int:
    """Hand out deliveries that are due (retries, and claims of workers that died); returns how many."""
    now = timezone.now()
    # An in-flight claim older than the lease belongs to a worker that died mid-attempt.
    lease = timedelta(seconds=settings.ALERTS_LEASE_S)
    Delivery.objects.filter(status=DeliveryStatus.IN_FLIGHT, claimed_at__lt=now - lease).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now)
    due = list(Delivery.objects.filter(Q(status=DeliveryStatus.PENDING) & Q(next_attempt_at__lte=now)
                                       & Q(channel__enabled=True))
               .values_list("pk", flat=True)[:1000])
    for delivery_id in due:
        delivery_attempt(delivery_id)
    return len(due)
