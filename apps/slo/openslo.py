"""OpenSLO v1 documents ↔ SLO definitions (pure; no database).

InferOps computes SLIs from its own rollups, so an indicator is a ``ratioMetric`` whose good and
total sources are of type ``InferOps`` and carry the SLI (kind, target, threshold, filters). Other
metric sources (Prometheus, Datadog, …) are refused with a clear message rather than guessed at.
"""

import re

import yaml

from . import sli

API_VERSION = "openslo/v1"
SOURCE_TYPE = "InferOps"
_RFC1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DURATION = re.compile(r"^(\d+)([mhdwMQY])$")
_ROLLING = {7: "rolling_7d", 28: "rolling_28d", 30: "rolling_30d"}
_DAYS = {"d": 1, "w": 7}
_METHODS = {"Occurrences": "occurrences", "Timeslices": "timeslices"}
MAX_DOCUMENTS = 1000


class OpenSLOError(ValueError):
    """A document was refused; the message names the document and the field."""


def export(slos: list[dict]) -> str:
    """A multi-document YAML stream, one SLO document per definition."""
    return yaml.safe_dump_all([_document(slo) for slo in slos], sort_keys=False, allow_unicode=True)


def _document(slo: dict) -> dict:
    source = {"type": SOURCE_TYPE, "spec": {"sliKind": slo["sli_kind"], "target": slo["target"],
                                            "thresholdMs": slo["threshold_ms"], "filters": slo["filters"] or {}}}
    objective: dict = {"displayName": slo["name"], "target": float(slo["objective"])}
    if slo["budgeting"] == "timeslices":
        objective.update(timeSliceTarget=float(slo["timeslice_target"]), timeSliceWindow="1m")
    window = ({"duration": "1M", "isRolling": False, "calendar": {"startTime": "2020-01-01 00:00:00", "timeZone": "UTC"}}
              if slo["window"] == "calendar_month" else
              {"duration": f"{slo['window'].split('_')[1]}", "isRolling": True})
    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": {"name": rfc1123(slo["name"]), "displayName": slo["name"]},
        "spec": {
            "description": slo["description"] or "",
            "service": ((slo["filters"] or {}).get("services") or ["inferops"])[0],
            "indicator": {"metadata": {"name": rfc1123(slo["name"])[:59] + "-sli"},
                          "spec": {"ratioMetric": {"counter": True,
                                                   "good": {"metricSource": source},
                                                   "total": {"metricSource": source}}}},
            "timeWindow": [window],
            "budgetingMethod": "Timeslices" if slo["budgeting"] == "timeslices" else "Occurrences",
            "objectives": [objective],
        },
    }


def rfc1123(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    return slug or "slo"


def parse(text: str) -> list[dict]:
    """SLO definitions (the fields ``services.slo_create`` takes) from an OpenSLO YAML stream."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise OpenSLOError(f"not valid YAML: {exc}") from exc
    if not documents:
        raise OpenSLOError("no OpenSLO documents found")
    if len(documents) > MAX_DOCUMENTS:
        raise OpenSLOError(f"at most {MAX_DOCUMENTS} documents at once")
    slos = [doc for doc in documents if isinstance(doc, dict) and doc.get("kind") == "SLO"]
    if not slos:
        raise OpenSLOError("no document of kind SLO (DataSource, SLI and AlertPolicy documents are not imported)")
    return [_definition(doc, i) for i, doc in enumerate(slos, start=1)]


def _definition(doc: dict, number: int) -> dict:
    where = f"SLO document {number}"
    if doc.get("apiVersion") != API_VERSION:
        raise OpenSLOError(f"{where}: apiVersion must be {API_VERSION}, got {doc.get('apiVersion')!r}")
    metadata, spec = doc.get("metadata") or {}, doc.get("spec") or {}
    name = str(metadata.get("name", ""))
    if not _RFC1123.match(name):
        raise OpenSLOError(f"{where}: metadata.name {name!r} is not an RFC 1123 name (a-z, 0-9, '-', ≤ 63)")
    objective = _objective(spec, where)
    definition = {
        "name": str(metadata.get("displayName") or name)[:63],
        "description": str(spec.get("description") or ""),
        "window": _window(spec.get("timeWindow"), where),
        "budgeting": _budgeting(spec.get("budgetingMethod"), where),
        "objective": objective["target"],
        "timeslice_target": objective.get("timeslice_target"),
    }
    definition.update(_indicator(spec, where))
    return definition


def _objective(spec: dict, where: str) -> dict:
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1 or not isinstance(objectives[0], dict):
        raise OpenSLOError(f"{where}: spec.objectives must hold exactly one objective")
    item = objectives[0]
    if "target" in item:
        target = item["target"]
    elif "targetPercent" in item:
        target = float(item["targetPercent"]) / 100
    else:
        raise OpenSLOError(f"{where}: the objective needs target (0–1) or targetPercent (0–100)")
    if "timeSliceWindow" in item and item["timeSliceWindow"] != "1m":
        raise OpenSLOError(f"{where}: timeSliceWindow must be 1m (InferOps evaluates one-minute slices)")
    return {"target": str(target), "timeslice_target": str(item["timeSliceTarget"]) if "timeSliceTarget" in item else None}


def _window(windows, where: str) -> str:
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        raise OpenSLOError(f"{where}: spec.timeWindow must hold exactly one item")
    window = windows[0]
    match = _DURATION.match(str(window.get("duration", "")))
    if not match:
        raise OpenSLOError(f"{where}: timeWindow.duration {window.get('duration')!r} is not a duration (units m h d w M Q Y)")
    amount, unit = int(match.group(1)), match.group(2)
    if window.get("isRolling", False) is not True:
        if (amount, unit) != (1, "M"):
            raise OpenSLOError(f"{where}: a calendar window must be 1M (calendar month)")
        return "calendar_month"
    days = amount * _DAYS.get(unit, 0)
    if days not in _ROLLING:
        raise OpenSLOError(f"{where}: a rolling window must be 7d, 28d (4w) or 30d, got {window['duration']}")
    return _ROLLING[days]


def _budgeting(method, where: str) -> str:
    if method not in _METHODS:
        raise OpenSLOError(f"{where}: budgetingMethod {method!r} is not supported; use Occurrences or Timeslices")
    return _METHODS[method]


def _indicator(spec: dict, where: str) -> dict:
    if "indicatorRef" in spec:
        raise OpenSLOError(f"{where}: indicatorRef is not supported; inline the indicator")
    ratio = ((spec.get("indicator") or {}).get("spec") or {}).get("ratioMetric") or {}
    source = ((ratio.get("total") or {}).get("metricSource")) or {}
    if source.get("type") != SOURCE_TYPE:
        raise OpenSLOError(f"{where}: metricSource type {source.get('type')!r} is not supported; InferOps evaluates "
                           f"SLIs from its own rollups (type {SOURCE_TYPE})")
    body = source.get("spec") or {}
    kind = body.get("sliKind")
    if kind not in sli.KINDS:
        raise OpenSLOError(f"{where}: metricSource.spec.sliKind must be one of {', '.join(sli.KINDS)}")
    return {"sli_kind": kind, "target": body.get("target", sli.REQUESTS), "threshold_ms": body.get("thresholdMs"),
            "filters": body.get("filters") or {}}
