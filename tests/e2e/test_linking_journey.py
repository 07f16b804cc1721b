"""Linking Google and choosing calendars, end to end through `linecal chat`."""

from __future__ import annotations

import re
import time

import boto3
import pytest
import requests

from shared.events import (
    OPERATOR_SOURCE,
    CalendarSubscriptionRequested,
    CalendarUnsubscriptionRequested,
)
from shared.publisher import EventPublisher
from tests.e2e.conftest import run_linecal

pytestmark = pytest.mark.e2e

USER = "Ue2elinkjourney0000000000000000001"
WORK_CALENDAR = "c_demo0work0123@group.calendar.google.com"


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


def bus_publisher(stack_url: str) -> EventPublisher:
    # TODO(#3): the add/remove quick replies replace these direct requests once merged.
    stack = requests.get(f"{stack_url}/sandbox/stack", timeout=5).json()["stack"]
    client = boto3.client(
        "events",
        endpoint_url=stack["endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return EventPublisher(stack["resources"]["EventBus"], OPERATOR_SOURCE, client=client)


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

    # WHEN they add a second calendar, THEN both are listed
    bus = bus_publisher(stack_url)
    bus.publish(CalendarSubscriptionRequested(user_id=USER, calendar_id=WORK_CALENDAR))
    shown = list_until(stack_url, "2. 仕事")

    # WHEN they remove it again, THEN only the primary one is left
    bus.publish(CalendarUnsubscriptionRequested(user_id=USER, calendar_id=WORK_CALENDAR))
    shown = list_until(stack_url, "demo@example.com", absent="仕事")
    assert "2." not in shown

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
    assert sum("追加しました" in p for p in pushes) == 1
    assert sum("通知をやめました" in p for p in pushes) == 1
