"""`manage.py simulate` refuses bad input with a precise message, before it creates or issues anything."""

import pytest
from django.core.management import CommandError, call_command

from apps.core.models import ApiKey, Project

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("args, message", [
    (["--rate", "0"], "--rate must be above 0"),
    (["--legacy-share", "1.5"], "--legacy-share is a share between 0 and 1"),
    (["--fleet-size", "0"], "--fleet-size is 1–64"),
    (["--workers", "99"], "--workers is 1–32"),
    (["--backfill-if-new", "1d"], "--backfill-if-new needs --demo"),
    (["--endpoint", "http://127.0.0.1:1"], "no OTLP receiver at http://127.0.0.1:1"),
])
def test_bad_arguments_are_refused_and_nothing_is_created(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "--project", "never-created", *args)
    assert not Project.objects.filter(name="never-created").exists()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("args, message", [
    (["--backfill", "7y"], "not a duration: '7y'"),
    (["--end", "2026-11-29T10:00:00"], "has no time zone"),
])
def test_malformed_values_name_the_accepted_forms(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "--project", "p", *args)
