"""Linking Google and choosing calendars, end to end through `linecal chat`."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.e2e.conftest import run_linecal

pytestmark = pytest.mark.e2e

USER = "Ue2elinkjourney0000000000000000001"


def chat(stack_url: str, text: str) -> str:
    result = run_linecal("chat", "--url", stack_url, "--user", USER, text)
    assert result.returncode == 0, result.stderr
    return result.stdout


def list_until(stack_url: str, expected: str, absent: str | None = None) -> str:
    """`カレンダー一覧` until it shows `expected` (the services work asynchronously)."""
    deadline = time.monotonic() + 30
    while True:
        shown = chat(stack_url, "カレンダー一覧")
        if expected in shown and (absent is None or absent not in shown):
            return shown
        if time.monotonic() > deadline:
            pytest.fail(f"カレンダー一覧 never showed {expected!r}:\n{shown}")
        time.sleep(0.5)


def tap_choice(stack_url: str, first: str, label: str) -> str:
    """Say `first`, then tap the quick-reply button labelled `label`, in one chat session."""
    menu = chat(stack_url, first)
    labels = re.findall(r"^\s+\[(\d+)\] (.+)$", menu, flags=re.M)
    # Buttons may carry the list's number too ("1. 仕事").
    number = next(
        (n for n, text in labels if re.sub(r"^\d+\.\s*", "", text.strip()) == label), None
    )
    assert number is not None, menu
    result = run_linecal("chat", "--url", stack_url, "--user", USER, typed=f"{first}\n{number}\n")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_link_then_choose_calendars(stack_url: str) -> None:
    # GIVEN a user who asks to link and follows the link the bot sent
    answer = chat(stack_url, "連携")
    found = re.search(r"http://\S+", answer)
    assert found, answer
    page = requests.get(found.group(0), timeout=10)
    assert page.status_code == 200 and "連携しました" in page.text

    # THEN their primary calendar is listed
    shown = list_until(stack_url, "demo@example.com（メイン）")
    assert "1. demo@example.com（メイン）" in shown

    # WHEN they add a second calendar by its quick-reply button, THEN both are listed
    tap_choice(stack_url, "カレンダー追加", "仕事")
    shown = list_until(stack_url, "仕事")
    assert "demo@example.com（メイン）" in shown

    # WHEN they add a third by name, THEN all three are listed
    chat(stack_url, "カレンダー追加 Family")
    list_until(stack_url, "Family")

    # WHEN they remove 仕事 by name and confirm, THEN 仕事 is gone and the others stay
    confirmation = chat(stack_url, "カレンダー削除 仕事")
    yes = re.search(r"^\s+\[(\d+)\] (はい、やめる|Yes, stop)", confirmation, flags=re.M)
    assert yes, confirmation
    tap_choice(stack_url, "カレンダー削除 仕事", yes.group(2).strip())
    shown = list_until(stack_url, "Family", absent="仕事")
    assert "demo@example.com（メイン）" in shown

    # AND LINE told them of each change once
    pushes = [
        m["text"]
        for record in requests.get(
            f"{stack_url}/sandbox/line/messages", params={"to": USER}, timeout=5
        ).json()
        if record["via"] == "push"
        for m in record["messages"]
    ]
    assert sum("連携しました" in p for p in pushes) == 1
    assert sum("を通知に登録しました" in p for p in pushes) == 1
    assert sum("追加しました" in p for p in pushes) == 2
    assert sum("通知をやめました" in p for p in pushes) == 1
