"""Parse CLICKHOUSE_URL into a backend configuration."""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse


@dataclass(frozen=True)
class WarehouseConfig:
    engine: str  # "chdb" or "server"
    path: str = ""  # chdb data folder
    host: str = "localhost"
    port: int = 9000
    http_port: int = 8123
    user: str = "default"
    password: str = field(default="", repr=False)
    database: str = "default"
    secure: bool = False
    cluster: str = ""
    max_memory_bytes: int = 0


def parse_url(url: str, cluster: str = "", max_memory_bytes: int = 0) -> WarehouseConfig:
    """``chdb:///abs/path`` or ``clickhouse://user:pass@host:9000/db?http_port=8123&secure=1``."""
    parsed = urlparse(url)
    if parsed.scheme == "chdb":
        path = unquote((parsed.netloc + parsed.path) if parsed.netloc else parsed.path)
        if not path:
            raise ValueError("CLICKHOUSE_URL chdb:// needs a data folder path, e.g. chdb:///var/lib/inferops")
        return WarehouseConfig(engine="chdb", path=path, cluster="", max_memory_bytes=max_memory_bytes)
    if parsed.scheme in {"clickhouse", "clickhouses"}:
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        secure = parsed.scheme == "clickhouses" or query.get("secure") in {"1", "true"}
        return WarehouseConfig(
            engine="server",
            host=parsed.hostname or "localhost",
            port=parsed.port or (9440 if secure else 9000),
            http_port=int(query.get("http_port", "8443" if secure else "8123")),
            user=unquote(parsed.username or "default"),
            password=unquote(parsed.password or ""),
            database=(parsed.path or "/default").lstrip("/") or "default",
            secure=secure,
            cluster=cluster,
            max_memory_bytes=max_memory_bytes,
        )
    raise ValueError(f"CLICKHOUSE_URL must start with chdb:// or clickhouse://, got {parsed.scheme or url!r}")
