"""Delivery to real local HTTP receivers: payload per channel kind, retries, timeouts, 410, bad config."""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.alerts import services
from apps.alerts.models import Channel, Delivery
from tests.alerts.factories import alert_event
from tests.alerts.receivers import Receiver

pytestmark = pytest.mark.django_db(transaction=True)
PD_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def channel(project, kind: str, receiver: Receiver, **extra) -> Channel:
    config = {"url": receiver.url, **({"routing_key": PD_KEY} if kind == "pagerduty" else {})}
    return services.channel_create(project, name=f"{kind}-channel", kind=kind, config=config, **extra)


def due_now(delivery_id: int) -> None:
    """Let the retry delay pass (the schedule's first retry is 5 s away)."""
    Delivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_pagerduty_gets_a_trigger_with_a_stable_dedup_key_then_a_resolve(project, receiver):
    channel(project, "pagerduty", receiver, severities=["page"])
    firing = alert_event(project)
    [delivery] = services.events_notify([firing])
    assert services.delivery_attempt(delivery.pk) == "delivered"
    trigger = receiver.requests[0].json()
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == PD_KEY
    assert trigger["payload"]["severity"] == "critical" and len(trigger["payload"]["summary"]) <= 1024
    assert trigger["payload"]["custom_details"]["burn_rates"]["1h/5m"]["threshold"] == 14.4
    assert trigger["links"][1]["href"].endswith("/traces/" + "ab" * 16)

    resolved = firing.alert.events.create(episode=1, kind="resolved", at=timezone.now(), summary="recovered")
    [again] = services.events_notify([resolved])
    assert services.delivery_attempt(again.pk) == "delivered"
    assert receiver.requests[1].json() == {"routing_key": PD_KEY, "event_action": "resolve",
                                           "dedup_key": trigger["dedup_key"]}


def test_alertmanager_receivers_get_a_version_4_message(project, receiver):
    channel(project, "alertmanager", receiver)
    [delivery] = services.events_notify([alert_event(project)])
    services.delivery_attempt(delivery.pk)
    message = receiver.requests[0].json()
    assert message["version"] == "4" and message["status"] == "firing" and message["truncatedAlerts"] == 0
    assert {"groupKey", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL"} <= set(message)
    [alert] = message["alerts"]
    assert alert["labels"]["alertname"] == "ErrorBudgetBurn" and alert["labels"]["severity"] == "page"
    assert alert["startsAt"].endswith("Z") and alert["endsAt"] == "0001-01-01T00:00:00Z" and len(alert["fingerprint"]) == 16


def test_slack_gets_escaped_text_and_blocks(project, receiver):
    channel(project, "slack", receiver)
    event = alert_event(project)
    event.summary = "latency <script>alert(1)</script> & more"
    event.save()
    [delivery] = services.events_notify([event])
    services.delivery_attempt(delivery.pk)
    message = receiver.requests[0].json()
    assert "&lt;script&gt;" in message["blocks"][0]["text"]["text"] and "<script>" not in message["blocks"][0]["text"]["text"]


def test_webhooks_are_signed_and_verify_with_the_reference_library(project, receiver):
    hook = channel(project, "webhook", receiver)
    [delivery] = services.events_notify([alert_event(project)])
    services.delivery_attempt(delivery.pk)
    request = receiver.requests[0]
    payload = Webhook(hook.config["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "slo.alert.firing" and request.headers["webhook-id"] == delivery.message_id


def test_a_500_is_retried_on_schedule_and_delivered_once(project, receiver):
    receiver.script = [(500, "rollup_error", 0.0)]
    hook = channel(project, "webhook", receiver)
    [delivery] = services.events_notify([alert_event(project)])
    assert services.delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert timedelta(seconds=4) < delivery.next_attempt_at - timezone.now() < timedelta(seconds=6)
    assert services.delivery_attempt(delivery.pk) is None          # not due yet: nothing is sent
    due_now(delivery.pk)
    assert services.deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [a.status_code for a in delivery.log.all()] == [500, 200]
    assert receiver.answered == [500, 200]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.message_id}   # one message, retried
    assert Webhook(hook.config["secret"]).verify(receiver.requests[1].body, receiver.requests[1].headers)


def test_a_timeout_is_logged_and_retried(project, receiver):
    receiver.script = [(200, "ok", 3.0)]                                   # slower than the 2 s test timeout
    channel(project, "alertmanager", receiver)
    [delivery] = services.events_notify([alert_event(project)])
    assert services.delivery_attempt(delivery.pk) == "pending"
    [attempt] = delivery.log.all()
    assert attempt.status_code is None and "Timeout" in attempt.error


def test_410_disables_the_channel(project, receiver):
    receiver.default = (410, "channel_is_archived")
    slack = channel(project, "slack", receiver)
    [delivery] = services.events_notify([alert_event(project)])
    assert services.delivery_attempt(delivery.pk) == "failed"
    slack.refresh_from_db()
    assert not slack.enabled and "410" in slack.disabled_reason
    assert services.events_notify([alert_event(project, episode=2)]) == []


def test_pagerduty_400_is_not_retried(project, receiver):
    receiver.default = (400, "Invalid event")
    channel(project, "pagerduty", receiver)
    [delivery] = services.events_notify([alert_event(project)])
    assert services.delivery_attempt(delivery.pk) == "failed"
    due_now(delivery.pk)
    assert services.deliveries_sweep() == 0 and len(receiver.requests) == 1


def test_routing_by_severity_and_labels(project, receiver):
    channel(project, "webhook", receiver, severities=["ticket"])
    services.channel_create(project, name="other team", kind="webhook", config={"url": receiver.url},
                            match_labels={"services": "billing"})
    assert services.events_notify([alert_event(project, severity="page")]) == []
    assert len(services.events_notify([alert_event(project, severity="ticket", episode=2)])) == 1


def test_a_test_notification_goes_out_at_once(project, receiver):
    hook = channel(project, "webhook", receiver)
    delivery = services.channel_test(hook)
    assert delivery.status == "delivered" and delivery.is_test
    assert receiver.requests[0].json()["data"]["labels"]["test"] == "true"


@pytest.mark.parametrize("kind, config, message", [
    ("pagerduty", {"routing_key": "short"}, "config.routing_key: a PagerDuty integration key is 32"),
    ("slack", {"url": "ftp://hooks.example/x"}, "config.url: 'ftp://hooks.example/x' is not an http(s) URL"),
    ("slack", {}, "config.url: '' is not an http(s) URL"),
    ("webhook", {"url": "https://example.com/h", "secret": "whsec_c2hvcnQ="}, "config.secret: a signing secret"),
    ("webhook", {"url": "https://example.com/h", "token": "x"}, "config: unknown fields token"),
    ("opsgenie", {"url": "https://example.com"}, "kind: 'opsgenie' is not one of"),
])
def test_malformed_channel_configuration_is_refused_clearly(project, kind, config, message):
    with pytest.raises(services.ChannelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.channel_create(project, name="bad", kind=kind, config=config)


def test_a_firing_still_retrying_when_the_episode_resolves_is_not_sent_late(project, receiver):
    receiver.script = [(503, "busy", 0.0)]
    channel(project, "pagerduty", receiver)
    firing = alert_event(project)
    [trigger] = services.events_notify([firing])
    assert services.delivery_attempt(trigger.pk) == "pending"
    resolved = firing.alert.events.create(episode=1, kind="resolved", at=timezone.now(), summary="recovered")
    [resolve] = services.events_notify([resolved])
    assert services.delivery_attempt(resolve.pk) == "delivered"
    due_now(trigger.pk)
    services.deliveries_sweep()
    trigger.refresh_from_db()
    assert trigger.status == "superseded"
    assert [r.json()["event_action"] for r in receiver.requests] == ["trigger", "resolve"]


def test_network_errors_are_logged_without_the_url_and_its_token(project):
    services.channel_create(project, name="dead slack", kind="slack",
                            config={"url": "http://127.0.0.1:1/services/T000/B000/SECRETTOKEN"})
    [delivery] = services.events_notify([alert_event(project)])
    assert services.delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert "SECRETTOKEN" not in delivery.last_error and "SECRETTOKEN" not in delivery.log.get().error
    assert delivery.last_error == "ConnectionError sending to 127.0.0.1"


def test_local_and_private_receivers_are_refused_by_default(project, settings):
    settings.ALERTS_ALLOW_HTTP = False
    for url in ("https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://localhost/hook"):
        with pytest.raises(services.ChannelError, match="is a local or private address"):
            services.channel_create(project, name="internal", kind="slack", config={"url": url})


def test_pagerduty_sends_per_routing_key_are_throttled_not_dropped(project, settings):
    settings.ALERTS_PAGERDUTY_PER_MINUTE = 3
    server = Receiver(default=(202, '{"status": "success"}'))
    try:
        key = "a" * 32
        first = services.channel_create(project, name="pd one", kind="pagerduty",
                                        config={"url": server.url, "routing_key": key})
        second = services.channel_create(project, name="pd two", kind="pagerduty",
                                         config={"url": server.url, "routing_key": key})
        outcomes = [services.channel_test(channel).status for channel in (first, second, first, second)]
        assert outcomes == ["delivered", "delivered", "delivered", "pending"]
        assert len(server.requests) == 3, "the fourth send to the same key waits for the minute to pass"
        waiting = Delivery.objects.get(status="pending")
        assert waiting.attempts == 0 and "throttled" in waiting.last_error
        assert 0 < (waiting.next_attempt_at - timezone.now()).total_seconds() <= 60
    finally:
        server.close()


def test_slack_gets_at_most_one_message_a_second_per_webhook(project):
    server = Receiver()
    try:
        channel = services.channel_create(project, name="slack", kind="slack", config={"url": server.url})
        assert [services.channel_test(channel).status for _ in range(2)] == ["delivered", "pending"]
        assert len(server.requests) == 1
        waiting = Delivery.objects.get(status="pending")
        assert "throttled" in waiting.last_error and (waiting.next_attempt_at - timezone.now()).total_seconds() <= 1
    finally:
        server.close()
