"""Run real InferOps processes (manage.py …) in a throw-away data folder, on free ports."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(data_dir: Path, secret: str) -> dict:
    """Environment for a separate InferOps process with its own SQLite + chDB under ``data_dir``."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inferops_site.settings", "INFEROPS_DATA_DIR": str(data_dir),
           "INFEROPS_SECRET_KEY": secret, "INFEROPS_WEB_PORT": str(free_port()),
           "INFEROPS_OTLP_HTTP_PORT": str(free_port()), "INFEROPS_OTLP_GRPC_PORT": str(free_port()),
           "INFEROPS_DEMO": "0"}
    env.pop("DATABASE_URL", None)
    return env


def manage(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()


def start(env: dict, command: str = "serve") -> subprocess.Popen:
    """Start ``manage.py <command>`` and return once it printed READY."""
    process = subprocess.Popen([sys.executable, "manage.py", command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    for line in process.stdout:
        if line.strip() == "READY":
            return process
        assert time.monotonic() < deadline, f"{command} did not become ready"
    raise AssertionError(f"{command} exited with {process.wait()}")
