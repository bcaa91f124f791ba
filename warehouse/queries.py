"""Named ``.sql`` queries: loaded once, checked for project scope and time bounds.

A query named ``telemetry.span_readback`` lives in ``apps/telemetry/sql/span_readback.sql``;
``warehouse.x`` lives in ``warehouse/queries/x.sql``.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):([^}]+)\}")
REQUIRED = {"project_id": "UInt64", "start": "DateTime64", "end": "DateTime64"}


class QueryDefinitionError(ValueError):
    """A .sql file is missing, or lacks its project filter or time bounds."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    sql: str
    placeholders: dict[str, str]


def query_path(name: str) -> Path:
    if not re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", name):
        raise QueryDefinitionError(f"query names look like 'app.query_name', got {name!r}")
    package, query = name.split(".", 1)
    base = ROOT / "warehouse" / "queries" if package == "warehouse" else ROOT / "apps" / package / "sql"
    return base / f"{query}.sql"


def check_scoped(sql: str, origin: str) -> dict[str, str]:
    """Return the placeholders of ``sql``; raise when the project filter or time bounds are missing."""
    placeholders = {name: kind.strip() for name, kind in PLACEHOLDER.findall(sql)}
    for name, kind in REQUIRED.items():
        if not placeholders.get(name, "").startswith(kind):
            raise QueryDefinitionError(f"{origin}: every query must bind {{{name}:{kind}...}}")
    if not re.search(r"project_id\s*=\s*\{project_id:UInt64\}", sql):
        raise QueryDefinitionError(f"{origin}: must filter project_id = {{project_id:UInt64}}")
    return placeholders


@cache
def load(name: str) -> NamedQuery:
    path = query_path(name)
    if not path.exists():
        raise QueryDefinitionError(f"no query file {path.relative_to(ROOT)} for {name!r}")
    sql = path.read_text()
    return NamedQuery(name=name, path=path, sql=sql, placeholders=check_scoped(sql, str(path.relative_to(ROOT))))


def all_query_files() -> list[Path]:
    return sorted([*ROOT.glob("warehouse/queries/*.sql"), *ROOT.glob("apps/*/sql/*.sql")])
