"""Sign-in throttling: failed sign-ins per username and per address are counted; past the limit even
the right password is refused with 429 until the window passes, and each refusal is audited."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from apps.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


USERS = ("mallory-target", "innocent", "a", "b", "c")
ADDRESSES = ("192.0.2.10", "192.0.2.11", "198.51.100.66", "198.51.100.67")


@pytest.fixture(autouse=True)
def clean_counts():
    # Only this test's counters (the cache may be a shared Redis).
    keys = [f"signin-fail:user:{u}" for u in USERS] + [f"signin-fail:addr:{a}" for a in ADDRESSES]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_after_five_failures_the_right_password_is_refused_and_audited(settings):
    settings.SIGN_IN_FAILURES_PER_USER = 5
    get_user_model().objects.create_user("mallory-target", password="pw-123456789")
    client = Client(REMOTE_ADDR="192.0.2.10")
    assert [sign_in(client, "mallory-target", f"guess-{i}").status_code for i in range(5)] == [200] * 5
    refused = sign_in(client, "mallory-target", "pw-123456789")
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    denied = AuditRecord.objects.filter(action="auth.sign_in", outcome="deny").last()
    assert (denied.target_id, denied.source_ip) == ("mallory-target", "192.0.2.10")
    other = Client(REMOTE_ADDR="192.0.2.11")
    assert sign_in(other, "mallory-target", "pw-123456789").status_code == 429, "the username is locked everywhere"


def test_one_address_spraying_many_usernames_is_stopped(settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 3
    get_user_model().objects.create_user("innocent", password="pw-123456789")
    sprayer = Client(REMOTE_ADDR="198.51.100.66")
    for name in ("a", "b", "c"):
        sign_in(sprayer, name, "password1")
    assert sign_in(sprayer, "innocent", "pw-123456789").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="198.51.100.67"), "innocent", "pw-123456789").status_code == 302


def test_the_limit_holds_for_look_alike_usernames_and_the_admin_sign_in(settings):
    settings.SIGN_IN_FAILURES_PER_USER = 2
    get_user_model().objects.create_superuser("alice", password="pw-123456789")
    keys = ["signin-fail:user:alice", "signin-fail:addr:192.0.2.20", "signin-fail:addr:192.0.2.21"]
    cache.delete_many(keys)
    client = Client(REMOTE_ADDR="192.0.2.20")
    for _ in range(2):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "ＡＬＩＣＥ", "pw-123456789").status_code == 429, "full-width letters name the same user"
    admin = Client(REMOTE_ADDR="192.0.2.21")
    assert admin.post("/admin/login/", {"username": "alice", "password": "pw-123456789"}).status_code == 429
    cache.delete_many(keys)
