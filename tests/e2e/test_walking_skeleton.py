"""The walking skeleton, end to end: `linecal local up`, then `linecal chat`."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import run_linecal

pytestmark = pytest.mark.e2e


def test_help_is_answered_through_the_line_sandbox(stack_url: str) -> None:
    # WHEN a user sends "help" through linecal chat
    result = run_linecal("chat", "--url", stack_url, "--user", "Uexample", "help")

    # THEN the CLI shows the help, and LINE (the sandbox) got it as a reply to that user
    assert result.returncode == 0, result.stderr
    assert "How to use linecal" in result.stdout
    records = requests.get(
        f"{stack_url}/sandbox/line/messages", params={"to": "Uexample"}, timeout=5
    ).json()
    assert records[-1]["via"] == "reply"
    assert records[-1]["messages"][0]["text"].startswith("How to use linecal")


def test_calendar_list_without_calendars_says_what_to_do_next(stack_url: str) -> None:
    result = run_linecal("chat", "--url", stack_url, "--user", "Unew", "カレンダー一覧")

    assert result.returncode == 0, result.stderr
    assert "まだありません" in result.stdout
    assert "連携" in result.stdout


def test_chat_without_a_stack_says_so(stack_url: str) -> None:
    result = run_linecal("chat", "--url", "http://127.0.0.1:9", "--user", "U1", "help")

    assert result.returncode == 2
    assert "linecal local up" in result.stdout
