"""What each paging system receives for one alert notification: pure functions of the notification.

A notification is a plain dict (see ``services.notification``): id, status (firing | resolved),
severity (page | ticket), summary, labels, project, slo, episode, starts_at, ends_at, burn_rates,
exemplars, dedup_key, url. Alerts other than SLO burns (budgets) add ``kind`` (their alert class and
name), ``component``, ``details`` and ``link_text``; SLO notifications leave them out.
"""

import hashlib
import json

PD_SEVERITY = {"page": "critical", "ticket": "warning"}
PD_SUMMARY_MAX = 1024
NEVER = "0001-01-01T00:00:00Z"       # Alertmanager's endsAt for an alert still firing


def pagerduty(n: dict, routing_key: str) -> dict:
    """PagerDuty Events API v2: trigger while firing, resolve after, one open incident per dedup_key."""
    if n["status"] == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": n["dedup_key"]}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": n["dedup_key"],
        "payload": {
            "summary": n["summary"][:PD_SUMMARY_MAX],
            "source": f"inferops/{n['project']['slug']}",
            "severity": PD_SEVERITY[n["severity"]],
            "timestamp": n["starts_at"],
            "component": n.get("component") or n["slo"]["name"],
            "group": n["project"]["name"],
            "class": n.get("kind", "slo_burn_rate"),
            "custom_details": {"burn_rates": n["burn_rates"], "exemplars": n["exemplars"], "labels": n["labels"],
                               **n.get("details", {})},
        },
        "links": [{"href": n["url"], "text": n.get("link_text", "SLO in InferOps")}]
                 + [{"href": e["url"], "text": f"trace {e['trace_id'][:16]}"} for e in n["exemplars"][:3]],
        "client": "InferOps",
        "client_url": n["url"],
    }


def alertmanager(n: dict, receiver: str, external_url: str) -> dict:
    """An Alertmanager webhook (version 4) message, so existing receivers work unchanged."""
    alertname = _alertname(n)
    labels = {"alertname": alertname, **n["labels"]}
    annotations = {"summary": n["summary"], "description": json.dumps(n.get("details") or n["burn_rates"], sort_keys=True),
                   "runbook_url": n["url"]}
    alert = {"status": n["status"], "labels": labels, "annotations": annotations, "startsAt": n["starts_at"],
             "endsAt": n["ends_at"] or NEVER, "generatorURL": n["url"], "fingerprint": fingerprint(labels)}
    return {
        "version": "4",
        "groupKey": "{}:" + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}",
        "truncatedAlerts": 0,
        "status": n["status"],
        "receiver": receiver,
        "groupLabels": {"alertname": alertname},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": external_url,
        "notification_reason": "alert_" + n["status"],
        "alerts": [alert],
    }


def _alertname(n: dict) -> str:
    return "".join(part.capitalize() for part in n["kind"].split("_")) if n.get("kind") else "ErrorBudgetBurn"


def fingerprint(labels: dict) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def slack(n: dict) -> dict:
    icon = ":rotating_light:" if n["status"] == "firing" else ":white_check_mark:"
    rates = "\n".join(f"*{window}*: {r['long']:.1f}x / {r['short']:.1f}x (threshold {r['threshold']:g}x)"
                      for window, r in n["burn_rates"].items())
    traces = " · ".join(f"<{e['url']}|{e['trace_id'][:12]}>" for e in n["exemplars"][:5])
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} {_escape(n['summary'])}"}},
              {"type": "section", "text": {"type": "mrkdwn", "text": rates or _escape(_details_text(n)) or "no burn"}}]
    if traces:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Worst traces: {traces}"}]})
    link = n.get("link_text", "Open the SLO")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{n['url']}|{_escape(link)}>"}]})
    return {"text": f"{icon} {n['summary']}", "blocks": blocks}


def _details_text(n: dict) -> str:
    return "\n".join(f"{key}: {value}" for key, value in n.get("details", {}).items())


def _escape(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook(n: dict) -> dict:
    family = n["kind"].replace("_", ".") if n.get("kind") else "slo.alert"
    return {"type": f"{family}.{n['status']}", "timestamp": n["sent_at"], "data": n}


def encode(body: dict) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
