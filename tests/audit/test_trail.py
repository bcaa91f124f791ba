"""The audit trail: records chained in order, sealed into Ed25519-signed Merkle checkpoints, and every
kind of tampering (a changed byte, a deleted, reordered or inserted record, a rewritten tail, a
forged checkpoint) found at the right record; sign-ins, configuration changes, reads and exports
are recorded with who, when and from where."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from apps.audit import keys, services
from apps.audit.context import Actor
from apps.audit.integrity import chain
from apps.audit.models import AuditCheckpoint, AuditRecord
from apps.core.services import membership_set

pytestmark = pytest.mark.django_db
ALICE = Actor("user", "7", "alice", "203.0.113.9", "pytest")


def trail(n: int = 6) -> list[int]:
    """n records; their sequence numbers (other tests' fixtures may have written records before)."""
    return [services.record(f"test.action{i % 3}", project_id=1, target_type="thing", target_id=i,
                            details={"note": f"entry {i}", "ünï": "cödé"}, actor=ALICE).seq for i in range(n)]


def first_break():
    report = services.verify_all()
    return (report.first_break.seq, report.first_break.kind) if report.first_break else None


def test_records_chain_and_checkpoints_link_from_null():
    assert not AuditCheckpoint.objects.exists()
    seqs = trail(3)
    first = services.seal()
    seqs += trail(2)
    second = services.seal()
    assert services.seal() is None, "nothing new to seal"
    assert (first.first_seq, first.last_seq, first.prev_signature) == (1, seqs[2], "null")
    assert (second.first_seq, second.last_seq, second.prev_signature) == (seqs[3], seqs[4], first.signature)
    report = services.verify_all()
    assert report.ok and (report.records, report.checkpoints, report.unsealed_from) == (seqs[4], 2, None)
    seqs += trail(1)
    assert services.verify_all().unsealed_from == seqs[5]
    record = AuditRecord.objects.get(seq=seqs[1])
    assert (record.actor_name, record.source_ip, record.event_time.endswith("Z")) == ("alice", "203.0.113.9", True)


def test_a_changed_byte_is_found_at_its_record():
    seqs = trail()
    services.seal()
    AuditRecord.objects.filter(seq=seqs[2]).update(details={"note": "entry 3", "ünï": "cödé"})     # entry 2 → 3
    assert first_break() == (seqs[2], "changed")
    with pytest.raises(CommandError, match=f"BROKEN at record {seqs[2]} \\(changed\\)"):
        call_command("audit", "verify")


def test_a_deleted_record_is_a_gap_never_bridged():
    seqs = trail()
    services.seal()
    AuditRecord.objects.filter(seq=seqs[3]).delete()
    assert first_break() == (seqs[3], "missing")


def test_reordered_records_are_found_where_the_order_breaks():
    seqs = trail()
    services.seal()
    a, b = seqs[2], seqs[3]
    AuditRecord.objects.filter(seq=a).update(seq=-1)
    AuditRecord.objects.filter(seq=b).update(seq=a)
    AuditRecord.objects.filter(seq=-1).update(seq=b)
    assert first_break() == (a, "out_of_order")


@pytest.mark.parametrize("rehash_the_rest", [False, True])
def test_an_inserted_record_is_found_at_its_place_even_with_the_rest_rehashed(rehash_the_rest):
    seqs = trail()
    services.seal()
    at = seqs[3]
    for record in AuditRecord.objects.filter(seq__gte=at).order_by("-seq"):
        AuditRecord.objects.filter(pk=record.pk).update(seq=record.seq + 1)
    prev = AuditRecord.objects.get(seq=at - 1).record_hash
    forged = {f: "" for f in AuditRecord.FIELDS} | {
        "seq": at, "event_id": "f" * 32, "event_time": "2026-11-29T00:00:00.000000Z", "project_id": 1,
        "actor_type": "user", "action": "cost.budget.delete", "outcome": "success", "details": {}, "prev_hash": prev}
    forged["record_hash"] = chain.record_hash(forged)
    AuditRecord.objects.create(**forged)
    if rehash_the_rest:     # an attacker with database access recomputes every later hash
        for record in AuditRecord.objects.filter(seq__gt=at).order_by("seq"):
            record.prev_hash = AuditRecord.objects.get(seq=record.seq - 1).record_hash
            record.record_hash = chain.record_hash(record.as_record())
            record.save()
        assert services.verify_all().first_break.detail.startswith(f"record {at} differs from what checkpoint 1 sealed")
    found = first_break()
    assert found == (at, "changed") if rehash_the_rest else found[0] == at


def test_a_forged_or_removed_checkpoint_is_found():
    trail(3)
    services.seal()
    seqs = trail(3)
    services.seal()
    AuditCheckpoint.objects.filter(number=2).update(root_hash="00" * 32)
    assert first_break() == (seqs[0], "checkpoint")
    AuditCheckpoint.objects.filter(number=1).delete()
    assert services.verify_all().first_break.kind == "checkpoint"


def test_the_oldest_checkpoint_and_its_records_deleted_together_are_found():
    first = trail(3)
    services.seal()
    trail(3)
    services.seal()
    AuditCheckpoint.objects.filter(stream="product", number=1).delete()
    AuditRecord.objects.filter(seq__lte=first[2]).delete()
    assert first_break() == (1, "missing")


@pytest.mark.clickhouse
def test_sign_ins_configuration_changes_reads_and_exports_are_recorded(warehouse, project):
    user = get_user_model().objects.create_user("auditee", password="pw-123456789")
    membership_set(project, user, "admin")
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.post("/accounts/login/", {"username": "auditee", "password": "wrong"})
    client.post("/accounts/login/", {"username": "auditee", "password": "pw-123456789"})
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    api.force_login(user)
    api.post(f"/api/v1/projects/{project.pk}/cost/budgets", {"name": "b", "monthly_usd": "10"}, format="json")
    api.get(f"/api/v1/projects/{project.pk}/traces/{'ab' * 16}")
    assert api.get(f"/api/v1/projects/{project.pk}/overview.csv?range=1h").status_code == 200
    assert api.get(f"/api/v1/projects/{project.pk}/cost/report?output=csv").status_code == 200
    got = [(r.action, r.outcome, r.actor_name, r.source_ip, r.project_id)
           for r in AuditRecord.objects.filter(seq__gt=AuditRecord.objects.get(action="core.membership.create").seq)]
    assert ("auth.sign_in", "failure", "", "198.51.100.4", None) in got
    assert ("auth.sign_in", "success", "auditee", "198.51.100.4", None) in got
    assert ("cost.budget.create", "success", "auditee", "198.51.100.4", project.pk) in got
    assert ("trace.read", "failure", "auditee", "198.51.100.4", project.pk) in got
    assert ("export.overview", "success", "auditee", "198.51.100.4", project.pk) in got
    assert ("export.cost", "success", "auditee", "198.51.100.4", project.pk) in got
    assert not AuditRecord.objects.filter(details__icontains="pw-123456789").exists()
    assert services.verify_all().ok


def test_records_cut_from_the_end_are_missed_against_the_head():
    seqs = trail(4)
    services.seal()
    seqs += trail(3)
    AuditRecord.objects.filter(seq__gte=seqs[5]).delete()
    assert first_break() == (seqs[5], "missing")


def test_a_later_break_does_not_hide_an_earlier_rewrite():
    first = trail(4)
    services.seal()
    later = trail(4)
    services.seal()
    at = first[1]
    AuditRecord.objects.filter(seq=at).update(details={"note": "rewritten"})
    for record in AuditRecord.objects.filter(seq__gte=at).order_by("seq"):
        record.prev_hash = AuditRecord.objects.get(seq=record.seq - 1).record_hash if record.seq > 1 else chain.GENESIS
        record.record_hash = chain.record_hash(record.as_record())
        record.save()
    AuditRecord.objects.filter(seq=later[2]).delete()
    assert first_break() == (at, "changed")


def test_a_change_the_trail_cannot_record_is_not_made(project):
    """The audit store refuses writes (a database trigger): the configuration change is rolled back."""
    from django.db import connection

    from apps.alerts.models import Channel

    admin = get_user_model().objects.create_user("atomic-admin", password="pw-123456789")
    membership_set(project, admin, "admin")
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                           "'audit store refuses writes'; END $$ LANGUAGE plpgsql")
            cursor.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_auditrecord FOR EACH ROW "
                           "EXECUTE FUNCTION refuse_audit()")
        else:
            cursor.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_auditrecord BEGIN "
                           "SELECT RAISE(ABORT, 'audit store refuses writes'); END")
    # Creating a channel is one INSERT and its audit record another (a model signal): only the
    # request's transaction keeps the first from standing alone.
    reply = client.post(f"/api/v1/projects/{project.pk}/channels", {
        "name": "pager", "kind": "webhook", "config": {"url": "https://hooks.example.com/inferops"}},
        content_type="application/json")
    assert reply.status_code == 500, reply.content
    assert not Channel.objects.filter(project=project).exists(), "no change without its audit record"


def test_a_range_verifies_on_its_own_and_a_break_inside_it_is_found(capsys):
    first = trail(3)
    services.seal()
    second = trail(3)
    services.seal()
    assert services.verify_range(second[0], second[2]).ok
    AuditRecord.objects.filter(seq=first[1]).update(outcome="deny")
    assert services.verify_range(second[1]).ok, "the break lies before the range (and its checkpoint)"
    broken = services.verify_range(first[0], first[2]).first_break
    assert (broken.seq, broken.kind) == (first[1], "changed")
    call_command("audit", "verify", "--from", str(second[0]), "--to", str(second[2]))
    assert f"audit trail records {second[0]}…{second[2]} OK" in capsys.readouterr().out
    with pytest.raises(CommandError, match=f"BROKEN at record {first[1]}"):
        call_command("audit", "verify", "--from", str(first[0]))


def test_checkpoints_are_published_off_the_machine_in_order_once_and_retried(settings):
    from apps.audit import publish
    from apps.audit.integrity.chain import checkpoint_message
    from tests.alerts.receivers import Receiver

    receiver = Receiver(script=[(503, "busy", 0.0)])
    settings.AUDIT_PUBLISH_URL, settings.AUDIT_PUBLISH_TOKEN = receiver.url, "witness-token"
    try:
        trail(2)
        first = services.seal()
        trail(2)
        second = services.seal()
        assert publish.publish_pending() == 0, "the witness is busy: nothing is marked published"
        assert publish.publish_pending() == 2 and publish.publish_pending() == 0
        bodies = [r.json() for r in receiver.requests[1:]]
        assert [b["number"] for b in bodies] == [first.number, second.number]
        assert receiver.requests[1].headers["authorization"] == "Bearer witness-token"
        assert "leaf_hashes" not in bodies[0] and bodies[1]["prev_signature"] == bodies[0]["signature"]
        key = Ed25519PublicKey.from_public_bytes(keys.public_raw())
        key.verify(bytes.fromhex(bodies[1]["signature"]), checkpoint_message(bodies[1]))    # raises if forged
    finally:
        receiver.close()
