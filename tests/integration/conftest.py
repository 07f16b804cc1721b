"""One embedded local stack for the integration tests, started in this process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from linecal.local.embedded import EmbeddedStack, EmbeddedStackOptions
from tests.fixture_files import line_channel_secret


@pytest.fixture(scope="session")
def local_stack() -> Iterator[EmbeddedStack]:
    # The captured webhook bodies are signed with the fixtures' channel secret.
    saved = dict(os.environ)
    os.environ["LINE_CHANNEL_SECRET"] = line_channel_secret()
    stack = EmbeddedStack(EmbeddedStackOptions(port=0, run_schedules=False))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
