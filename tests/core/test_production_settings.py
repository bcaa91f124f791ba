"""Production settings (served over HTTPS, debug off) pass Django's deployment security checks: Secure
and HttpOnly session and CSRF cookies, HSTS, HTTPS redirects (health probes exempt), no sniffing, no
framing; the same checks fail on the plain-HTTP defaults, so they are not vacuous."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "INFEROPS_DATA_DIR": str(tmp_path), "INFEROPS_SECRET_KEY": secrets.token_urlsafe(50),
                   "INFEROPS_ALLOWED_HOSTS": "inferops.example.com", "INFEROPS_DEBUG": "false", **env}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--tag", "security", "--fail-level",
                           "WARNING"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deployment_security_checks(tmp_path):
    served = deploy_check(tmp_path, INFEROPS_HTTPS="true")
    assert served.returncode == 0, served.stdout + served.stderr
    plain = deploy_check(tmp_path, INFEROPS_HTTPS="false")
    assert plain.returncode != 0
    assert "security.W012" in plain.stderr and "security.W016" in plain.stderr    # the cookies are not Secure


def test_every_form_that_posts_carries_the_csrf_token():
    import re

    templates = [*ROOT.glob("apps/*/templates/**/*.html"), *ROOT.glob("frontend/templates/**/*.html")]
    forms = [(path.name, form) for path in templates
             for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", path.read_text(), re.S | re.I)]
    assert len(forms) >= 10, "the scan finds the product's forms"
    assert [name for name, form in forms if "{% csrf_token %}" not in form] == []
