"""A throwaway clickhouse-server (Debian's 18.16) in a temporary folder, for protocol-level tests."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from warehouse import Warehouse, WarehouseUnavailable
from warehouse.config import parse_url

BINARY = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"

CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{dir}/server.log</log><errorlog>{dir}/error.log</errorlog><console>0</console></logger>
    <http_port>{http}</http_port>
    <tcp_port>{tcp}</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>64</max_connections>
    <path>{dir}/data/</path>
    <tmp_path>{dir}/tmp/</tmp_path>
    <user_files_path>{dir}/user_files/</user_files_path>
    <users_config>/etc/clickhouse-server/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>5368709</mark_cache_size>
    <timezone>UTC</timezone>
</yandex>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ClickHouseServer:
    """One server process; stop() and start() again reuse the same ports and data folder."""

    def __init__(self, directory: Path):
        if not os.path.exists(BINARY):
            # CI installs it; a silent skip would hide that the server backend is untested.
            pytest.fail("clickhouse-server not found: install it with `apt-get install clickhouse-server`")
        self.dir = directory
        self.tcp, self.http = free_port(), free_port()
        self.config = directory / "config.xml"
        self.config.write_text(CONFIG.format(dir=directory, tcp=self.tcp, http=self.http))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"clickhouse://default:@127.0.0.1:{self.tcp}/default?http_port={self.http}"

    def warehouse(self) -> Warehouse:
        return Warehouse(parse_url(self.url))

    def start(self, timeout: float = 30.0) -> "ClickHouseServer":
        with open(self.dir / "stdout.log", "ab") as out:
            self.process = subprocess.Popen(
                [BINARY, f"--config-file={self.config}"], cwd=self.dir, stdout=out, stderr=subprocess.STDOUT
            )
        # Poll through the warehouse itself (clickhouse-driver is only imported inside warehouse/).
        probe = self.warehouse()
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    probe.admin_query("SELECT 1")
                    return self
                except WarehouseUnavailable:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        pytest.fail(
                            f"clickhouse-server did not answer on port {self.tcp}; see {self.dir}/*.log"
                        )
                    time.sleep(0.2)
        finally:
            probe.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
