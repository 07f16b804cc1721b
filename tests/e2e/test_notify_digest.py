"""The daily digest end to end: `linecal local up`, a linked user with two calendars,
then `linecal notify digest --at ...` as an operator would run it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
import requests

from linecal.local.linked_users import LinkedUser, SandboxCalendar, add_google_accounts, link_users
from linecal.target import find_target
from services.notification.adapters.user_settings import UserSettingsTable
from shared.events import NOTIFICATION_SOURCE, GoogleAccountLinked
from shared.publisher import EventPublisher
from tests.calendar_builders import all_day_event, timed_event
from tests.e2e.conftest import run_linecal

pytestmark = pytest.mark.e2e

SEVEN_JST = "2026-12-03T07:00:00+09:00"


def pushes_to(stack_url: str, user_id: str) -> list[str]:
    records = requests.get(
        f"{stack_url}/sandbox/line/messages", params={"to": user_id}, timeout=10
    ).json()
    return ["\n".join(m["text"] for m in r["messages"]) for r in records if r["via"] == "push"]


def test_a_linked_user_gets_one_digest_from_both_calendars_and_never_a_second(
    stack_url: str,
) -> None:
    # GIVEN a user with two calendars, linked: grant and subscriptions stored, then the
    # GoogleAccountLinked event, from which the notification service makes default settings
    user = LinkedUser(
        "U" + uuid.uuid4().hex,
        f"e2e-{uuid.uuid4().hex[:8]}@example.com",
        [
            SandboxCalendar(
                "primary-e2e",
                "マイカレンダー",
                [
                    timed_event(
                        "e2e1", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00", "歯医者"
                    )
                ],
            ),
            SandboxCalendar(
                "family-e2e",
                "家族",
                [all_day_event("e2e2", "2026-12-03", "2026-12-04", "運動会")],
            ),
        ],
    )
    target = find_target(stack_url)
    add_google_accounts(stack_url, [user])
    link_users(target, [user], datetime.now(UTC), with_settings=False)
    EventPublisher(
        target.resource("EventBus"), NOTIFICATION_SOURCE, client=target.client("events")
    ).publish(GoogleAccountLinked(user_id=user.user_id))
    _wait_for_settings(
        target.resource("UserSettingsTable"), target.client("dynamodb"), user.user_id
    )

    # WHEN the operator runs the 07:00 JST digest
    first = run_linecal("notify", "digest", "--at", SEVEN_JST, "--url", stack_url)

    # THEN exactly one push reached the user, with events from both calendars
    assert first.returncode == 0, first.stdout + first.stderr
    assert "22:00 UTC" in first.stdout and "workers done" in first.stdout
    [digest] = pushes_to(stack_url, user.user_id)
    assert digest.splitlines() == [
        "おはようございます。12月3日(木)の予定です。",
        "終日 運動会 [家族]",
        "10:00-11:00 歯医者 [マイカレンダー]",
    ]

    # WHEN it is run again for the same minute
    again = run_linecal("notify", "digest", "--at", SEVEN_JST, "--url", stack_url)

    # THEN no second push
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(pushes_to(stack_url, user.user_id)) == 1


def test_a_time_without_an_offset_is_refused(stack_url: str) -> None:
    result = run_linecal("notify", "digest", "--at", "2026-12-03T07:00", "--url", stack_url)

    assert result.returncode == 2
    assert "offset" in result.stdout


def _wait_for_settings(table: str, client: object, user_id: str) -> None:
    settings = UserSettingsTable(table, client)  # type: ignore[arg-type]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if settings.get(user_id) is not None:
            return
        time.sleep(0.3)
    pytest.fail("the notification service made no settings for the linked user")
