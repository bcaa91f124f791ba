"""Per-item validation of parsed OTLP requests. Invalid items are removed in place.

Each validator returns (accepted, rejected, messages). The common case walks ids only (cheap
length checks on upb messages) and touches nothing else.
"""

ZERO_TRACE = bytes(16)
ZERO_SPAN = bytes(8)


def _span_problem(span) -> str | None:
    trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
    if len(trace_id) != 16:
        return f"trace_id is {len(trace_id)} bytes (must be 16)"
    if trace_id == ZERO_TRACE:
        return "trace_id is all zeros"
    if len(span_id) != 8:
        return f"span_id is {len(span_id)} bytes (must be 8)"
    if span_id == ZERO_SPAN:
        return "span_id is all zeros"
    if parent and len(parent) != 8:
        return f"parent_span_id is {len(parent)} bytes (must be 8 or empty)"
    return None


def _prune(items, problem_of, label: str, messages: list[str]) -> tuple[int, int]:
    """Drop the items ``problem_of`` objects to; returns (kept, dropped)."""
    bad = []
    for index, item in enumerate(items):
        problem = problem_of(item)
        if problem:
            bad.append(index)
            messages.append(f"{label}[{index}] {item_name(item)}: {problem}")
    for index in reversed(bad):
        del items[index]
    return len(items), len(bad)


def item_name(item) -> str:
    name = getattr(item, "name", "")
    return repr(name[:60]) if name else ""


def _validate_groups(groups, problem_of, label: str) -> tuple[int, int, list[str]]:
    """Prune every repeated field in ``groups``; totals of kept and dropped items, with reasons."""
    accepted = rejected = 0
    messages: list[str] = []
    for items in groups:
        kept, dropped = _prune(items, problem_of, label, messages)
        accepted += kept
        rejected += dropped
    return accepted, rejected, messages


def validate_traces(request) -> tuple[int, int, list[str]]:
    groups = (ss.spans for rs in request.resource_spans for ss in rs.scope_spans)
    return _validate_groups(groups, _span_problem, "span")


def _log_problem(record) -> str | None:
    if record.trace_id and len(record.trace_id) != 16:
        return f"trace_id is {len(record.trace_id)} bytes (must be 16 or empty)"
    if record.span_id and len(record.span_id) != 8:
        return f"span_id is {len(record.span_id)} bytes (must be 8 or empty)"
    return None


def validate_logs(request) -> tuple[int, int, list[str]]:
    groups = (sl.log_records for rl in request.resource_logs for sl in rl.scope_logs)
    return _validate_groups(groups, _log_problem, "logRecord")


def _histogram_point_problem(point) -> str | None:
    if point.bucket_counts and len(point.bucket_counts) != len(point.explicit_bounds) + 1:
        return (f"{len(point.bucket_counts)} bucket_counts for {len(point.explicit_bounds)} explicit_bounds "
                "(must be bounds + 1)")
    if list(point.explicit_bounds) != sorted(point.explicit_bounds):
        return "explicit_bounds are not in increasing order"
    return None


def _metric_points(metric):
    kind = metric.WhichOneof("data")
    return kind, (getattr(metric, kind).data_points if kind else [])


def validate_metrics(request) -> tuple[int, int, list[str]]:
    accepted = rejected = 0
    messages: list[str] = []
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind, points = _metric_points(metric)
                if not metric.name:
                    messages.append(f"metric without a name: {len(points)} data point(s) rejected")
                    rejected += len(points)
                    del points[:]
                    continue
                if kind == "histogram":
                    kept, dropped = _prune(points, _histogram_point_problem, f"metric {metric.name!r} point", messages)
                    accepted += kept
                    rejected += dropped
                else:
                    accepted += len(points)
    return accepted, rejected, messages


VALIDATORS = {"traces": validate_traces, "metrics": validate_metrics, "logs": validate_logs}
