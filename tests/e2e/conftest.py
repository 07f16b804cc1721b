"""Starts `linecal local up` as a user would, on a free port, for the e2e tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def stack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("stack") / "local-up.log"
    with running_stack(log) as url:
        yield url


@contextmanager
def running_stack(log: Path, environment: dict[str, str] | None = None) -> Iterator[str]:
    """`linecal local up` on a free port, its output in `log`; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(environment or {})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "linecal", "local", "up", "--port", str(port), "--no-schedules"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).parents[2],
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"linecal local up exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/sandbox/stack", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"linecal local up did not answer in 60 s:\n{log.read_text()[-3000:]}")


def run_linecal(
    *args: str,
    timeout: float = 60,
    typed: str | None = None,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the `linecal` CLI as a user would and capture what it prints; `typed` is what
    the user types at its prompts, one line each."""
    return subprocess.run(
        [sys.executable, "-m", "linecal", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=typed,
        env={**os.environ, "COLUMNS": "200", **(environment or {})},
    )
