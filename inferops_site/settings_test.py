"""Test settings: a throw-away data folder per test run, then the normal settings."""

import os
import tempfile

os.environ.setdefault("INFEROPS_DATA_DIR", tempfile.mkdtemp(prefix="inferops-test-"))
os.environ.setdefault("INFEROPS_SECRET_KEY", "test-secret-key-not-for-production")

from inferops_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users only
ALERTS_ALLOW_HTTP = True          # the fake PagerDuty / Slack / webhook receivers are local http servers
ALERTS_HTTP_TIMEOUT_S = 2.0
