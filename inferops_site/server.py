"""Run uvicorn servers and the gRPC receiver in one asyncio loop, with one shutdown path.

Used by ``manage.py serve`` (everything, embedded) and by the distributed entry points
(``manage.py ingest`` and ``manage.py web``).
"""

import asyncio
import ctypes
import gc
import logging
import signal
import socket
from contextlib import nullcontext

import uvicorn

logger = logging.getLogger(__name__)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


def keep_freed_memory() -> None:
    """Request bodies (hundreds of KB) and their decoded messages would each be mapped fresh and
    unmapped again by glibc, whose page faults and zeroing took ~6 % of a saturated ingest core.
    Serve allocations up to 32 MB (glibc's most) from the heap and keep up to 128 MB freed (per arena)
    for reuse; what is in memory stays bounded by the ingest queue and in-flight limits."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: its own defaults stand
        return
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(M_TRIM_THRESHOLD, 128 << 20)


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us (several servers share one loop)."""

    def capture_signals(self):
        return nullcontext()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app, sock: socket.socket, http_impl: str = "auto") -> tuple[QuietServer, socket.socket]:
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", http=http_impl,
                            timeout_keep_alive=75, limit_concurrency=2048)
    return QuietServer(config), sock


async def run_until_signalled(servers: list[tuple[QuietServer, socket.socket]], on_stop, on_ready=None,
                              before_stop=None) -> None:
    """The process's serving life (``manage.py serve``, ``ingest``, ``web``): serve until SIGTERM/SIGINT,
    then stop servers and await ``on_stop()`` (flushes)."""
    # What start-up built (Django, the apps, the engine bindings) lives as long as the process: frozen,
    # the collector stops re-walking it on every full collection (~3 % of a saturated ingest core).
    gc.collect()
    gc.freeze()
    keep_freed_memory()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve_until(stop, servers, on_stop, on_ready, before_stop)


async def serve_until(stop: asyncio.Event, servers: list[tuple[QuietServer, socket.socket]], on_stop,
                      on_ready=None, before_stop=None) -> None:
    """Serve until ``stop`` is set; then await ``before_stop()`` (while the servers still answer),
    stop the servers (they drain in-flight requests) and flush."""
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
    if on_ready is not None:
        while not all(server.started for server, _ in servers):
            await asyncio.sleep(0.02)
        on_ready()
    await stop.wait()
    if before_stop is not None:
        await before_stop()
    logger.info("shutting down: draining requests and flushing acknowledged data")
    for server, _ in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    await on_stop()
