"""Projects and keys: hashed at rest, shown once, revocable; the setup commands scripts rely on."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.core.models import ApiKey, KeyKind
from apps.core.services import (
    TenancyError,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    project_create,
)

pytestmark = pytest.mark.django_db


def test_keys_are_stored_only_as_prefix_and_hash(project):
    issued = api_key_create(project, kind=KeyKind.INGEST)
    stored = ApiKey.objects.get(pk=issued.key.pk)
    assert issued.plaintext.startswith(f"iop_{stored.prefix}_")
    assert issued.plaintext not in {stored.key_hash, stored.prefix, stored.name}
    assert len(stored.key_hash) == 64


def test_authenticate_checks_kind_and_revocation(project):
    issued = api_key_create(project, kind=KeyKind.INGEST)
    assert api_key_authenticate(issued.plaintext, KeyKind.INGEST).project == project
    assert api_key_authenticate(issued.plaintext, KeyKind.READ) is None
    api_key_revoke(issued.key)
    assert api_key_authenticate(issued.plaintext, KeyKind.INGEST) is None


@pytest.mark.parametrize("tampered", ["", "iop", "iop_abc", "nope_123_456", "iop_000000000000_x" * 20])
def test_malformed_or_forged_keys_do_not_authenticate(project, tampered):
    api_key_create(project, kind=KeyKind.INGEST)
    assert api_key_authenticate(tampered, KeyKind.INGEST) is None


def test_forged_secret_with_a_real_prefix_fails(project):
    issued = api_key_create(project, kind=KeyKind.INGEST)
    forged = issued.plaintext[:-4] + "AAAA"
    assert api_key_authenticate(forged, KeyKind.INGEST) is None


def test_read_keys_need_a_role(project):
    with pytest.raises(TenancyError, match="role"):
        api_key_create(project, kind=KeyKind.READ)


@pytest.mark.parametrize("name", ["", "   ", "!!!", "x" * 121])
def test_bad_project_names_are_refused(name):
    with pytest.raises(TenancyError):
        project_create(name)


def test_duplicate_project_names_are_refused():
    project_create("Checkout")
    with pytest.raises(TenancyError, match="already exists"):
        project_create("checkout")


def test_create_project_and_key_commands_print_only_what_scripts_need():
    out = StringIO()
    call_command("create_project", "My App", stdout=out)
    project_id = int(out.getvalue().strip())
    out = StringIO()
    call_command("create_ingest_key", "--project", "my-app", stdout=out)
    key = out.getvalue().strip()
    assert "\n" not in key
    assert api_key_authenticate(key, KeyKind.INGEST).project_id == project_id


def test_create_ingest_key_for_unknown_project_says_how_to_create_it():
    with pytest.raises(CommandError, match="create_project"):
        call_command("create_ingest_key", "--project", "ghost")
