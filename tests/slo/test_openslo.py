"""OpenSLO v1 import and export: a round trip keeps every definition; unsupported input is refused clearly."""

import pytest
import yaml

from apps.slo import openslo, services
from tests.personas import client_for

pytestmark = pytest.mark.django_db

DOCUMENT = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: chat-ttft
  displayName: Chat TTFT under 500 ms
spec:
  description: Streamed answers start fast
  service: support-agent
  indicator:
    metadata: {name: chat-ttft-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: InferOps, spec: {sliKind: ttft, target: llm_calls, thresholdMs: 500}}}
        total: {metricSource: {type: InferOps, spec: {sliKind: ttft, target: llm_calls, thresholdMs: 500,
                                                      filters: {models: [gpt-4o]}}}}
  timeWindow: [{duration: 4w, isRolling: true}]
  budgetingMethod: Timeslices
  objectives: [{displayName: fast, targetPercent: 99.5, timeSliceTarget: 0.95, timeSliceWindow: 1m}]
"""


def test_an_openslo_document_becomes_an_slo(project):
    [slo] = services.slos_import(project, DOCUMENT)
    assert (slo.name, slo.sli_kind, slo.target, slo.threshold_ms) == ("Chat TTFT under 500 ms", "ttft", "llm_calls", 500)
    assert (slo.window, slo.budgeting, float(slo.objective), float(slo.timeslice_target)) == \
        ("rolling_28d", "timeslices", 0.995, 0.95)
    assert slo.filters == {"models": ["gpt-4o"]}


def test_export_then_import_round_trips(project):
    services.slo_create(project, name="availability", sli_kind="availability", objective="0.999",
                        window="calendar_month", filters={"tenants": ["acme"]})
    services.slos_import(project, DOCUMENT)
    exported = services.slos_export(project)
    documents = list(yaml.safe_load_all(exported))
    names = {d["metadata"]["name"]: d for d in documents}
    assert set(names) == {"availability", "chat-ttft-under-500-ms"}
    assert names["availability"]["spec"]["timeWindow"][0]["duration"] == "1M"
    again = openslo.parse(exported)
    fields = ("name", "sli_kind", "target", "threshold_ms", "filters", "window", "budgeting")
    assert [{f: d[f] for f in fields} for d in again] == \
        [{f: getattr(s, f) for f in fields} for s in project.slos.order_by("name")]


@pytest.mark.parametrize("change, message", [
    (("apiVersion: openslo/v1", "apiVersion: openslo/v2alpha"), "apiVersion must be openslo/v1"),
    (("name: chat-ttft\n", "name: Chat_TTFT\n"), "is not an RFC 1123 name"),
    (("type: InferOps, spec: {sliKind: ttft, target: llm_calls, thresholdMs: 500,", "type: Prometheus, spec: {sliKind: ttft,"),
     "metricSource type 'Prometheus' is not supported"),
    (("duration: 4w", "duration: 90d"), "a rolling window must be 7d, 28d (4w) or 30d"),
    (("duration: 4w", "duration: 4 weeks"), "is not a duration"),
    (("budgetingMethod: Timeslices", "budgetingMethod: RatioTimeslices"), "budgetingMethod 'RatioTimeslices' is not supported"),
    (("targetPercent: 99.5", "targetPercent: 100"), "SLO document 1: objective: 1.0 must be strictly between 0 and 1"),
    (("thresholdMs: 500,\n", "thresholdMs: 333,\n"), "SLO document 1: threshold_ms: 333 is not a rollup bound"),
])
def test_unsupported_or_invalid_documents_are_refused_with_the_reason(project, change, message):
    old, new = change
    assert old in DOCUMENT
    with pytest.raises((openslo.OpenSLOError, services.SLOError), match=message.replace("(", r"\(").replace(")", r"\)")):
        services.slos_import(project, DOCUMENT.replace(old, new))
    assert not project.slos.exists()


def test_a_stream_is_imported_whole_or_not_at_all(project):
    stream = DOCUMENT + "---\n" + DOCUMENT.replace("Chat TTFT under 500 ms", "second").replace(
        "thresholdMs: 500,\n", "thresholdMs: 333,\n")
    with pytest.raises(services.SLOError, match="SLO document 2"):
        services.slos_import(project, stream)
    assert not project.slos.exists()


def test_the_api_imports_yaml_and_exports_it(project):
    client = client_for(project, "sre")
    created = client.post(f"/api/v1/projects/{project.pk}/slos/openslo", DOCUMENT, content_type="application/yaml")
    assert created.status_code == 201 and created.json()[0]["sli_kind"] == "ttft"
    exported = client.get(f"/api/v1/projects/{project.pk}/slos/openslo")
    assert exported["content-type"] == "application/yaml" and "chat-ttft-under-500-ms" in exported.content.decode()
    bad = client.post(f"/api/v1/projects/{project.pk}/slos/openslo", "kind: [", content_type="application/yaml")
    assert bad.status_code == 400 and "not valid YAML" in bad.json()["detail"]
    viewer = client_for(project, "viewer")
    assert viewer.post(f"/api/v1/projects/{project.pk}/slos/openslo", DOCUMENT,
                       content_type="application/yaml").status_code == 403
