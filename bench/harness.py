"""What every benchmark does first: a data folder (fresh, or one an earlier run filled), Django set
up on it, and both databases migrated."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def open_data_folder(reuse: str | None, prefix: str):
    """Point InferOps at ``reuse`` or a new temporary folder, set Django up and migrate; the warehouse."""
    sys.path.insert(0, str(ROOT))
    os.environ["INFEROPS_DATA_DIR"] = reuse or tempfile.mkdtemp(prefix=prefix)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inferops_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from warehouse import get_warehouse
    from warehouse.admin import migrate

    call_command("migrate", verbosity=0)
    migrate()
    return get_warehouse()
