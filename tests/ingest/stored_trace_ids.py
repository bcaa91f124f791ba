"""Print the trace ids stored for a project, one per line (run in a fresh process: chDB data
folders belong to one process at a time)."""

import os
import sys
from datetime import UTC, datetime, timedelta

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inferops_site.settings")
    import django

    django.setup()
    from apps.telemetry.selectors import trace_ids_in_window

    now = datetime.now(UTC)
    for trace_id in sorted(trace_ids_in_window(int(sys.argv[1]), now - timedelta(days=1), now + timedelta(days=1))):
        print(trace_id)
