"""What auditors take away: the decision ledger searched, paged and exported (CSV with hostile cells
neutralised, JSON Lines), and export bundles that verify offline — run as `python3 bundle.zip` in a
bare folder with nothing of InferOps importable — finding any record changed inside the bundle."""

import io
import json
import os
import subprocess
import sys
import time
import zipfile

import pytest
from django.contrib.auth import get_user_model
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from rest_framework.test import APIClient

from apps.audit import decisions, services
from apps.audit.context import Actor
from apps.core.services import membership_set
from tests.audit.test_decision_ledger import chain_arrived, no_settle  # noqa: F401 (fixture)
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
MS = 1_000_000
HOSTILE_CELL = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"
INJECTIONS = ("' OR 1=1 --", "x') OR ('1'='1", "\\'; DROP TABLE decision_ledger; --", "{policy:String}", "%' --")


def _decisions_request() -> ExportTraceServiceRequest:
    """Six decisions: policies pii (deny, block) and toxicity (allow), one with hostile text; the first
    two happened two days ago."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.add(key="service.name").value.string_value = "gateway"
    scope = resource.scope_spans.add()
    now = time.time_ns()
    for i in range(6):
        at = now + i * MS - (2 * 86_400 * 10**9 if i < 2 else 0)
        span = scope.spans.add(trace_id=os.urandom(16), span_id=os.urandom(8), name="run_guardrail", kind=1,
                               start_time_unix_nano=at, end_time_unix_nano=at + 2 * MS)
        policy, verdict, action = ("pii", "deny", "block") if i % 2 else ("toxicity", "allow", "none")
        for key, value in (("gen_ai.operation.name", "run_guardrail"), ("gen_ai.guardrail.security.policy.id", policy),
                           ("gen_ai.guardrail.verdict.type", verdict), ("gen_ai.guardrail.action.type", action),
                           ("gen_ai.guardrail.target.type", "input"), ("tenant.id", SCRIPT if i == 5 else "acme"),
                           ("gen_ai.guardrail.verdict.reason", HOSTILE_CELL if i == 5 else "matched")):
            span.attributes.add(key=key).value.string_value = value
    return request


@pytest.fixture
def ledger(ingest_server, project, ingest_key):
    reply = post(ingest_server, "/v1/traces", _decisions_request().SerializeToString(),
                 {"Content-Type": "application/x-protobuf", "x-inferops-key": ingest_key})
    assert reply.status == 200
    assert chain_arrived(project.pk) == 6
    decisions.seal(project.pk)
    return project


@pytest.fixture
def auditor(project):
    user = get_user_model().objects.create_user(f"auditor-{project.pk}", password="pw-123456789")
    membership_set(project, user, "auditor")
    client = APIClient()
    client.force_authenticate(user)
    return client


def _zip(response) -> bytes:
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


def _run_offline(tmp_path, data: bytes) -> subprocess.CompletedProcess:
    """The bundle alone, in an empty folder, with Python isolated from this project (-I: no cwd, no
    PYTHONPATH on the path): only the bundle's own verifier and the cryptography package are there."""
    folder = tmp_path / f"offline-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "bundle.zip").write_bytes(data)
    return subprocess.run([sys.executable, "-I", "bundle.zip"], cwd=folder, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", "")})


def _rewrite(data: bytes, name: str, change) -> bytes:
    """The same zip with one member's lines passed through ``change``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == name:
                body = b"".join(json.dumps(change(json.loads(line)), ensure_ascii=False, sort_keys=True).encode()
                                + b"\n" for line in body.splitlines())
            target.writestr(item.filename, body)
    return out.getvalue()


def test_decisions_are_searched_and_paged_newest_first(ledger, auditor):
    base = f"/api/v1/projects/{ledger.pk}/audit/decisions"
    page = auditor.get(f"{base}?policy=pii&limit=2").data
    assert [r["seq"] for r in page["records"]] == [6, 4] and page["next_before"] == 4
    rest = auditor.get(f"{base}?policy=pii&limit=2&before=4").data
    assert [r["seq"] for r in rest["records"]] == [2] and rest["next_before"] is None
    assert {r["verdict"] for r in auditor.get(f"{base}?verdict=allow").data["records"]} == {"allow"}
    assert [r["tenant"] for r in auditor.get(f"{base}?tenant={SCRIPT}").data["records"]] == [SCRIPT]
    trace = page["records"][0]["trace_id"]
    assert [r["seq"] for r in auditor.get(f"{base}?trace={trace.upper()}").data["records"]] == [6]
    assert auditor.get(f"{base}?trace=abc").status_code == 400
    assert auditor.get(f"{base}?start=2026-13-01").status_code == 400


@pytest.mark.parametrize("field", ["policy", "version", "rule", "verdict", "action", "phase", "tenant", "user",
                                   "model", "service"])
def test_injection_attempts_through_every_filter_match_nothing_and_harm_nothing(ledger, auditor, field):
    base = f"/api/v1/projects/{ledger.pk}/audit/decisions"
    for attempt in INJECTIONS:
        reply = auditor.get(base, {field: attempt})
        assert reply.status_code == 200 and reply.data["records"] == [], (field, attempt)
    assert len(auditor.get(base).data["records"]) == 6, "the ledger is intact"
    assert decisions.verify(ledger.pk).ok


def test_exports_neutralise_hostile_cells_and_keep_exact_records(ledger, auditor):
    base = f"/api/v1/projects/{ledger.pk}/audit/decisions/export"
    csv_text = b"".join(auditor.get(f"{base}?output=csv").streaming_content).decode()
    assert "'" + HOSTILE_CELL in csv_text and "\n" + HOSTILE_CELL not in csv_text and f",{HOSTILE_CELL}" not in csv_text
    lines = [json.loads(line) for line in b"".join(auditor.get(f"{base}?output=jsonl").streaming_content).splitlines()]
    assert [r["seq"] for r in lines] == [1, 2, 3, 4, 5, 6] and lines[5]["reason"] == HOSTILE_CELL
    assert auditor.get(f"{base}?output=xml").status_code == 400


def test_a_filtered_decision_bundle_verifies_offline_and_shows_only_what_was_asked(ledger, auditor, tmp_path):
    data = _zip(auditor.get(f"/api/v1/projects/{ledger.pk}/audit/decisions/export?output=bundle&verdict=deny"))
    records = [json.loads(line) for line in zipfile.ZipFile(io.BytesIO(data)).read("decisions/records.jsonl")
               .splitlines()]
    # The checkpoint sealed records 1…6: all are in the bundle, those not asked for by their hashes only.
    assert [(r["seq"], bool(r.get("elided"))) for r in records] == [(1, True), (2, False), (3, True), (4, False),
                                                                     (5, True), (6, False)]
    assert all(r["verdict"] == "deny" for r in records if not r.get("elided"))
    ran = _run_offline(tmp_path, data)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"decisions/{ledger.pk}: OK, 6 records, 1 checkpoints" in ran.stdout

    def forged(record):
        return record | {"action": "none"} if record["seq"] == 4 else record
    ran = _run_offline(tmp_path, _rewrite(data, "decisions/records.jsonl", forged))
    assert ran.returncode == 1 and "BROKEN at record 4 (changed)" in ran.stdout, ran.stdout + ran.stderr


def test_a_bundle_filtered_by_date_elides_the_other_days_and_verifies(ledger, auditor, tmp_path):
    from datetime import UTC, datetime

    today = datetime.now(UTC).date().isoformat()
    data = _zip(auditor.get(f"/api/v1/projects/{ledger.pk}/audit/decisions/export?output=bundle&start={today}"))
    records = [json.loads(line) for line in zipfile.ZipFile(io.BytesIO(data)).read("decisions/records.jsonl")
               .splitlines()]
    assert [(r["seq"], bool(r.get("elided"))) for r in records] == [(1, True), (2, True), (3, False), (4, False),
                                                                     (5, False), (6, False)]
    ran = _run_offline(tmp_path, data)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    page = auditor.get(f"/api/v1/projects/{ledger.pk}/audit/decisions?start={today}").data["records"]
    assert [r["seq"] for r in page] == [6, 5, 4, 3]


def test_the_product_trail_bundle_elides_other_projects_and_finds_a_deleted_record(project, auditor, tmp_path):
    actor = Actor("user", "5", "ops", "198.51.100.7", "pytest")
    for i in range(4):
        services.record("slo.slo.update", project_id=project.pk, target_type="slo", target_id=i, actor=actor)
        services.record("slo.slo.update", project_id=project.pk + 1000, target_type="slo", target_id=i, actor=actor)
    services.seal()
    services.record("alerts.channel.create", project_id=project.pk, target_type="channel", target_id=9, actor=actor)
    data = _zip(auditor.get(f"/api/v1/projects/{project.pk}/audit/export?output=bundle&action=slo."))
    records = [json.loads(line) for line in zipfile.ZipFile(io.BytesIO(data)).read("product/records.jsonl").splitlines()]
    shown = [r for r in records if not r.get("elided")]
    assert len(shown) == 4 and {r["project_id"] for r in shown} == {project.pk}
    assert all(set(r) == {"seq", "prev_hash", "record_hash", "elided"} for r in records if r.get("elided"))
    ran = _run_offline(tmp_path, data)
    assert ran.returncode == 0 and "product: OK" in ran.stdout, ran.stdout + ran.stderr
    unsealed = _run_offline(tmp_path, _zip(auditor.get(f"/api/v1/projects/{project.pk}/audit/export?output=bundle")))
    assert unsealed.returncode == 3 and "UNVERIFIED from record" in unsealed.stdout, "the channel record is not signed"
    victim = shown[1]["seq"]
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "product/records.jsonl":
                body = b"\n".join(line for line in body.splitlines() if json.loads(line)["seq"] != victim)
            target.writestr(item.filename, body)
    ran = _run_offline(tmp_path, out.getvalue())
    assert ran.returncode == 1 and f"BROKEN at record {victim} (missing)" in ran.stdout, ran.stdout


def test_the_decisions_page_filters_links_traces_and_escapes_what_it_shows(ledger):
    from django.test import Client

    page = Client()
    page.force_login(get_user_model().objects.create_user("page-auditor", password="pw-123456789"))
    membership_set(ledger, get_user_model().objects.get(username="page-auditor"), "auditor")
    html = page.get(f"/projects/{ledger.pk}/audit/decisions?policy=pii").content.decode()
    rows = decisions.records(ledger.pk, decisions.DecisionFilter(policy="pii"))
    assert html.count("<tr><td>") == 3 and "decision ledger verifies: 6 decisions" in html
    assert all(f"/projects/{ledger.pk}/traces/{trace}" in html for trace in rows["trace_id"].to_list())
    everything = page.get(f"/projects/{ledger.pk}/audit/decisions").content.decode()
    assert SCRIPT not in everything and "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert page.get(f"/projects/{ledger.pk}/audit/decisions?trace=nope").status_code == 400
