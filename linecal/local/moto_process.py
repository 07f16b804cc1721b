"""A moto server in a process of its own, for benchmarks and bulk tests.

The embedded stack runs moto in its own process, which is right for a developer; but
bulk work then shares one interpreter lock with the emulator, and tracemalloc would count
the emulator's memory as the tool's. A separate process keeps both apart.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests


class MotoProcess:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_seconds: float = 30.0) -> MotoProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("moto server exited at start")
            try:
                requests.get(f"{self.endpoint_url}/moto-api/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint_url}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def __enter__(self) -> MotoProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
