"""What auditors get: a project's records filtered and paged, exports as CSV (formula cells neutralised)
and JSON Lines (each record verifiable against its hash), and the trail's verification status."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from apps.audit import services
from apps.audit.context import Actor
from apps.audit.integrity import chain
from apps.audit.models import AuditRecord
from apps.core.services import membership_set

pytestmark = pytest.mark.django_db
HOSTILE = "=cmd|' /C calc'!A0"


@pytest.fixture
def auditor(project):
    user = get_user_model().objects.create_user("the-auditor", password="pw-123456789")
    membership_set(project, user, "auditor")
    actor = Actor("user", "9", "finance-bob", "192.0.2.5", "pytest")
    for i in range(5):
        services.record("cost.budget.update", project_id=project.pk, target_type="budget", target_id=i, actor=actor)
    services.record("trace.read", project_id=project.pk, target_type="trace", target_id=HOSTILE, actor=actor,
                    outcome="failure", reason="not found")
    services.record("cost.budget.update", project_id=project.pk + 999, target_type="budget", target_id="other")
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_records_are_the_projects_filtered_and_paged_newest_first(auditor, project):
    base = f"/api/v1/projects/{project.pk}/audit/records"
    first = auditor.get(f"{base}?action=cost.&limit=3").data
    assert [r["target_id"] for r in first["records"]] == ["4", "3", "2"]
    rest = auditor.get(f"{base}?action=cost.&limit=3&before={first['next_before']}").data
    assert [r["target_id"] for r in rest["records"]] == ["1", "0"] and rest["next_before"] is None
    failures = auditor.get(f"{base}?outcome=failure").data["records"]
    assert [(r["action"], r["reason"]) for r in failures] == [("trace.read", "not found")]
    assert all(r["project_id"] == project.pk for r in auditor.get(base).data["records"])
    assert auditor.get(f"{base}?outcome=maybe").status_code == 400


def test_exports_are_neutralised_csv_and_verifiable_json_lines_and_are_themselves_audited(auditor, project):
    base = f"/api/v1/projects/{project.pk}/audit/export"
    csv_text = b"".join(auditor.get(f"{base}?output=csv").streaming_content).decode()
    assert "'=cmd|" in csv_text and ",=cmd" not in csv_text
    lines = b"".join(auditor.get(f"{base}?output=jsonl").streaming_content).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) >= 6 and all(chain.record_hash(r) == r["record_hash"] for r in records)
    assert AuditRecord.objects.filter(action="export.audit", project_id=project.pk, actor_name="the-auditor").count() == 2


def test_verification_reports_ok_then_the_break(auditor, project):
    url = f"/api/v1/projects/{project.pk}/audit/verification"
    services.seal()
    services.verify_all()           # as the seal task does; the page shows the latest result
    status = auditor.get(url).data
    assert status["ok"] and status["key_fingerprint"] and "BEGIN PUBLIC KEY" in status["public_key_pem"]
    victim = AuditRecord.objects.filter(project_id=project.pk).order_by("seq").first()
    AuditRecord.objects.filter(pk=victim.pk).update(outcome="deny")
    assert auditor.get(url).data["ok"], "page loads show the last verification; they do not re-hash"
    services.verify_all()
    broken = auditor.get(url).data
    assert not broken["ok"] and broken["first_break"]["seq"] == victim.seq
    page = Client()
    page.force_login(get_user_model().objects.get(username="the-auditor"))
    html = page.get(f"/projects/{project.pk}/audit").content.decode()
    assert f"breaks at record {victim.seq}" in html and HOSTILE.replace("'", "&#x27;") in html


def test_auditors_verify_a_range_now_through_the_api_and_the_page(auditor, project):
    services.seal()
    seqs = list(AuditRecord.objects.filter(project_id=project.pk).order_by("seq").values_list("seq", flat=True))
    url = f"/api/v1/projects/{project.pk}/audit/verification"
    checked = auditor.get(f"{url}?stream=product&from={seqs[1]}&to={seqs[3]}").data["range"]
    assert checked["ok"] and checked["from"] == seqs[1] and checked["records"] >= 3
    AuditRecord.objects.filter(seq=seqs[2]).update(reason="edited")
    checked = auditor.get(f"{url}?stream=product&from={seqs[1]}&to={seqs[3]}").data["range"]
    assert not checked["ok"] and checked["first_break"]["seq"] == seqs[2]
    assert auditor.get(f"{url}?from=9&to=3").status_code == 400
    assert auditor.get(f"{url}?stream=other&from=1").status_code == 400
    page = Client()
    page.force_login(get_user_model().objects.get(username="the-auditor"))
    html = page.get(f"/projects/{project.pk}/audit?verify_from={seqs[1]}&verify_to={seqs[3]}").content.decode()
    assert f"the chain breaks at record {seqs[2]} (changed)" in html


def test_sign_ins_are_on_the_instance_trail_for_superusers_only(auditor, project):
    get_user_model().objects.create_superuser("root-auditor", password="pw-123456789")
    browser = Client()
    assert browser.post("/accounts/login/", {"username": "nobody", "password": "wrong"}).status_code == 200
    assert browser.post("/accounts/login/", {"username": "root-auditor", "password": "pw-123456789"}).status_code == 302
    html = browser.get("/audit/instance?action=auth.").content.decode()
    assert "auth.sign_in" in html and "wrong username or password" in html and "cost.budget.update" not in html
    lines = b"".join(browser.get("/audit/instance/export?action=auth.&output=jsonl").streaming_content).splitlines()
    assert {json.loads(line)["project_id"] for line in lines} == {None}
    assert {json.loads(line)["action"] for line in lines} == {"auth.sign_in", "auth.user.create"}
    assert AuditRecord.objects.filter(action="export.audit", target_id="instance-audit.jsonl").exists()
    assert browser.get("/audit/instance?start=someday").status_code == 400
    member = Client()
    member.force_login(get_user_model().objects.get(username="the-auditor"))
    assert member.get("/audit/instance").status_code == 403
    assert member.get("/audit/instance/export?output=csv").status_code == 403
    assert Client().get("/audit/instance").status_code == 302


@pytest.mark.parametrize("field", ["action", "actor", "target"])
def test_injection_attempts_through_every_trail_filter_match_nothing_and_harm_nothing(auditor, project, field):
    base = f"/api/v1/projects/{project.pk}/audit/records"
    before = AuditRecord.objects.count()
    for attempt in ("' OR 1=1 --", "x') OR ('1'='1", "%", "_", "'; DELETE FROM audit_auditrecord; --"):
        reply = auditor.get(base, {field: attempt})
        assert reply.status_code == 200 and reply.data["records"] == [], (field, attempt)
    assert auditor.get(base, {"outcome": "' OR 1=1 --"}).status_code == 400
    assert auditor.get(base, {"before": "1 OR 1=1"}).status_code == 400
    assert AuditRecord.objects.count() == before and services.verify_all().ok
