"""System checks for environment preconditions."""

from django.conf import settings
from django.core.checks import Error, register

from warehouse.config import parse_url


@register()
def warehouse_url_check(app_configs, **kwargs):
    try:
        parse_url(settings.CLICKHOUSE_URL)
    except ValueError as exc:
        return [Error(str(exc), hint="Set CLICKHOUSE_URL (see .env.example)", id="inferops.E001")]
    return []
