"""OTLP/JSON encodes trace and span ids as hex, while protobuf's JSON mapping expects base64.

Convert in place before ``json_format.ParseDict``. An id that is not hex is replaced by a single
byte so that validation rejects its item with the right count, and the problem is reported.
"""

import base64
import re

_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})*$")
_INVALID = base64.b64encode(b"\xff").decode()
_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _convert(obj: dict, problems: list[str], where: str) -> None:
    for key in _ID_KEYS:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(f"{where}.{key} must be a hex string")
            obj[key] = _INVALID
            continue
        if _HEX.match(value):
            obj[key] = base64.b64encode(bytes.fromhex(value)).decode()
        else:
            problems.append(f"{where}.{key} {value[:40]!r} is not hex")
            obj[key] = _INVALID


def _items(parent: dict, *keys: str) -> list:
    for key in keys:
        value = parent.get(key)
        if isinstance(value, list):
            return value
    return []


def _walk(document: dict, path: tuple[tuple[str, ...], ...], visit) -> None:
    """Visit every dict reached by following ``path`` (each step: camelCase and snake_case names)."""
    level = [document]
    for keys in path:
        level = [child for parent in level if isinstance(parent, dict) for child in _items(parent, *keys)]
    for index, item in enumerate(level):
        if isinstance(item, dict):
            visit(item, index)


def convert_ids(signal: str, document: dict) -> list[str]:
    problems: list[str] = []
    if signal == "traces":
        spans = (("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans"), ("spans",))

        def visit_span(span: dict, index: int) -> None:
            _convert(span, problems, f"span[{index}]")
            for link in _items(span, "links"):
                if isinstance(link, dict):
                    _convert(link, problems, f"span[{index}].link (dropped)")

        _walk(document, spans, visit_span)
    elif signal == "logs":
        records = (("resourceLogs", "resource_logs"), ("scopeLogs", "scope_logs"), ("logRecords", "log_records"))
        _walk(document, records, lambda record, i: _convert(record, problems, f"logRecord[{i}]"))
    else:
        metrics = (("resourceMetrics", "resource_metrics"), ("scopeMetrics", "scope_metrics"), ("metrics",))
        _walk(document, metrics, lambda metric, i: _convert_exemplars(metric, problems))
    return problems


def _convert_exemplars(metric: dict, problems: list[str]) -> None:
    for kind in ("gauge", "sum", "histogram", "exponentialHistogram", "exponential_histogram"):
        data = metric.get(kind)
        if not isinstance(data, dict):
            continue
        for point in _items(data, "dataPoints", "data_points"):
            for exemplar in _items(point, "exemplars") if isinstance(point, dict) else []:
                if isinstance(exemplar, dict):
                    _convert(exemplar, problems, "exemplar (dropped)")
