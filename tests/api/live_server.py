"""The real service in a subprocess on a free loopback port, with its own private TMPDIR,
and what it holds open: for tests that need real sockets (slow or vanishing clients)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    base: str
    port: int
    pid: int
    tmpdir: Path

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def temp_files(self) -> int:
        """Files in its TMPDIR, named or not: a spilled upload is an unnamed open file."""
        named = sum(len(files) for _, _, files in os.walk(self.tmpdir))
        unnamed = 0
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            with contextlib.suppress(OSError):
                unnamed += os.readlink(f"/proc/{self.pid}/fd/{fd}").startswith(str(self.tmpdir))
        return named + unnamed

    def settle(self, fds: int, slack: int = 2, timeout: float = 15) -> int:
        """Wait until it holds at most `fds` + `slack` descriptors; returns the last count."""
        deadline = time.monotonic() + timeout
        while (count := self.open_fds()) > fds + slack and time.monotonic() < deadline:
            time.sleep(0.2)
        return count


@contextlib.contextmanager
def live_server(**env: str) -> Iterator[LiveServer]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="live-tmp-") as tmpdir:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api"],
            cwd=ROOT,
            env={
                **os.environ,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "DEVICE": "cpu",
                "LOG_LEVEL": "WARNING",
                "TMPDIR": tmpdir,
                **env,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode())
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not become ready")
                time.sleep(0.2)
            yield LiveServer(base, port, proc.pid, Path(tmpdir))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
