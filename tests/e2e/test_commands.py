"""Every command, end to end: `linecal local up`, then `linecal chat` as a LINE user.

Each test talks as its own user, so tests do not see each other's state.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from tests.e2e.conftest import run_linecal
from tests.e2e.stack_doors import BusProbe, StackDoors, calendar_entries

pytestmark = pytest.mark.e2e

TEAM_ID = "c_team#1@group.calendar.google.com"
FAMILY_ID = "family#home@group.calendar.google.com"


@pytest.fixture(scope="module")
def doors(stack_url: str) -> StackDoors:
    return StackDoors(stack_url)


@pytest.fixture(scope="module")
def bus(doors: StackDoors) -> BusProbe:
    return BusProbe(doors)


@pytest.fixture
def user() -> str:
    return "U" + uuid.uuid4().hex


def chat(stack_url: str, user_id: str, *lines: str, wait: float = 10) -> str:
    """Say `lines` one after another (a number taps that quick-reply button); the output."""
    if len(lines) == 1 and not lines[0].isdigit():
        result = run_linecal("chat", "--url", stack_url, "--user", user_id, "--wait", str(wait),
                             lines[0])  # fmt: skip
    else:
        result = run_linecal(
            "chat", "--url", stack_url, "--user", user_id, "--wait", str(wait),
            typed="".join(f"{line}\n" for line in lines),
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def eventually(read: Callable[[], list[dict[str, object]]], seconds: float = 10) -> list:
    deadline = time.monotonic() + seconds
    while True:
        found = read()
        if found or time.monotonic() > deadline:
            return found


# ---------------------------------------------------------------- help, unknown, lists


def test_help_in_japanese(stack_url: str, user: str) -> None:
    assert "linecal の使い方" in chat(stack_url, user, "ヘルプ")


def test_unknown_text_gets_a_short_hint(stack_url: str, user: str) -> None:
    out = chat(stack_url, user, "おはよう")

    assert "わかりませんでした" in out and "ヘルプ" in out
    assert "通知時刻" not in out


def test_calendar_list_numbers_the_calendars_and_marks_the_primary(
    stack_url: str, doors: StackDoors, user: str
) -> None:
    doors.subscribe(user, "me@example.com", "me@example.com", primary=True)
    doors.subscribe(user, FAMILY_ID, "Family")

    out = chat(stack_url, user, "calendars")

    assert "1. me@example.com (primary)" in out
    assert "2. Family" in out


# ---------------------------------------------------------------- adding and removing


def test_add_without_a_google_link_asks_to_link_first(stack_url: str, user: str) -> None:
    out = chat(stack_url, user, "カレンダー追加")

    assert "連携" in out


def test_add_offers_calendars_and_a_tap_requests_the_one_with_hash_and_at(
    stack_url: str, doors: StackDoors, bus: BusProbe, user: str
) -> None:
    # GIVEN a linked user whose primary calendar already notifies them
    email = f"{user.lower()}@example.com"
    doors.link_google(
        user, email, calendar_entries(email, [(TEAM_ID, "Team"), (FAMILY_ID, "Family")])
    )
    doors.subscribe(user, email, email, primary=True)

    # WHEN they send "add" and tap the second button
    out = chat(stack_url, user, "add", "2")

    # THEN the two others were offered, and the subscription of exactly that id was requested
    assert "[1] 1. Team" in out and "[2] 2. Family" in out
    assert 'Adding "Family"' in out
    requests = eventually(lambda: bus.published(user, "CalendarSubscriptionRequested"))
    assert [r["calendar_id"] for r in requests] == [FAMILY_ID]


def test_add_by_name_requests_it_at_once(
    stack_url: str, doors: StackDoors, bus: BusProbe, user: str
) -> None:
    email = f"{user.lower()}@example.com"
    doors.link_google(user, email, calendar_entries(email, [(TEAM_ID, "Team")]))

    out = chat(stack_url, user, "カレンダー追加 team")

    assert "「Team」を追加します" in out
    requests = eventually(lambda: bus.published(user, "CalendarSubscriptionRequested"))
    assert [r["calendar_id"] for r in requests] == [TEAM_ID]


def test_thirty_calendars_are_paged_with_next_and_none_is_cut_off(
    stack_url: str, doors: StackDoors, user: str
) -> None:
    email = f"{user.lower()}@example.com"
    shared = [(f"c_{n:02d}#x@group.calendar.google.com", f"Project {n:02d}") for n in range(1, 30)]
    doors.link_google(user, email, calendar_entries(email, shared))

    # WHEN they send "add" and tap "next" (the 13th button) twice
    out = chat(stack_url, user, "add", "13", "13")

    # THEN every calendar had a button, over three pages
    for n in range(1, 30):
        assert f"{n + 1}. Project {n:02d}" in out
    assert out.count("Next ▶") == 2
    assert "25 to 30 of 30" in out


def test_remove_asks_to_confirm_then_requests_it(
    stack_url: str, doors: StackDoors, bus: BusProbe, user: str
) -> None:
    doors.subscribe(user, "me@example.com", "me@example.com", primary=True)
    doors.subscribe(user, FAMILY_ID, "Family")

    # WHEN they send "カレンダー削除", tap Family, then "はい、やめる"
    out = chat(stack_url, user, "カレンダー削除", "2", "1")

    assert "「Family」の通知をやめますか？" in out
    assert "「Family」の通知をやめます。" in out
    requests = eventually(lambda: bus.published(user, "CalendarUnsubscriptionRequested"))
    assert [r["calendar_id"] for r in requests] == [FAMILY_ID]


def test_remove_by_number_then_keep_it_changes_nothing(
    stack_url: str, doors: StackDoors, bus: BusProbe, user: str
) -> None:
    doors.subscribe(user, FAMILY_ID, "Family")

    out = chat(stack_url, user, "remove 1", "2")

    assert 'Stop notifications from "Family"?' in out and "nothing changed" in out
    time.sleep(2)
    assert bus.published(user, "CalendarUnsubscriptionRequested") == []


# ---------------------------------------------------------------- agenda


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("今日の予定", "today"),
        ("明日の予定", "tomorrow"),
        ("week", "week"),
        ("通知テスト", "preview"),
    ],
)
def test_agenda_commands_ask_the_notification_service(
    stack_url: str, bus: BusProbe, user: str, text: str, period: str
) -> None:
    chat(stack_url, user, text, wait=2)

    requests = eventually(lambda: bus.published(user, "AgendaRequested"))
    assert [r["period"] for r in requests] == [period]
    assert requests[0]["reply_token"]


# ---------------------------------------------------------------- settings


def test_settings_show_the_defaults(stack_url: str, user: str) -> None:
    out = chat(stack_url, user, "設定")

    assert "毎朝の通知: 07:00" in out and "予定の10分前" in out
    assert "Asia/Tokyo" in out and "おやすみ時間: なし" in out


@pytest.mark.parametrize(
    ("text", "answer", "change"),
    [
        ("通知時刻 ０７：３０", "07:30", {"digest_time": "07:30"}),
        ("リマインド 15", "15 分前", {"reminder_minutes": 15}),
        ("timezone europe/london", "Europe/London", {"time_zone": "Europe/London"}),
        ("おやすみ 23:00-07:00", "23:00-07:00", {"quiet_hours": "23:00-07:00"}),
        ("skip on", "No digest on days without events", {"skip_empty_days": True}),
    ],
)
def test_setting_changes_are_confirmed_and_published(
    stack_url: str, bus: BusProbe, user: str, text: str, answer: str, change: dict[str, object]
) -> None:
    out = chat(stack_url, user, text)

    assert answer in out
    published = eventually(lambda: bus.published(user, "NotificationSettingsChanged"))
    assert len(published) == 1
    assert {k: published[0][k] for k in change} == change


def test_a_typo_in_a_setting_gets_help_and_changes_nothing(
    stack_url: str, bus: BusProbe, user: str
) -> None:
    out = chat(stack_url, user, "通知時刻 25:61")

    assert "00:00〜23:59" in out
    time.sleep(2)
    assert bus.published(user, "NotificationSettingsChanged") == []
