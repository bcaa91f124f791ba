# One image for every distributed-mode process (web, ingest, worker, beat, migrate);
# docker-compose.yml picks the process with `command`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INFEROPS_DATA_DIR=/var/lib/inferops

WORKDIR /app

# Dependencies first, from pyproject's own list, so editing the code does not reinstall them.
# All are manylinux wheels (psycopg[binary], grpcio, pyarrow, chdb); only our own C module (the span
# rows, warehouse/_spanrows.c) is compiled, below.
# chdb is installed but never imported here: CLICKHOUSE_URL points at a server in distributed mode.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Explicit paths rather than `COPY . .`, so a local .venv, data/ or .git never lands in the image.
COPY manage.py setup.py ./
COPY inferops_site ./inferops_site
COPY apps ./apps
COPY warehouse ./warehouse
COPY ingest ./ingest
COPY frontend ./frontend
# The compiler is needed only to build warehouse/_spanrows.c, and removed in the same layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir --no-deps . \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

# Fixed uid so volume ownership is predictable across rebuilds; a new named volume takes the
# ownership of the folder it is mounted on (the ingest log's, in docker-compose.yml).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin inferops \
    && mkdir -p "$INFEROPS_DATA_DIR/ingest-log" \
    && chown -R inferops:inferops "$INFEROPS_DATA_DIR"
USER inferops

EXPOSE 8000 4317 4318
CMD ["python", "manage.py", "web"]
