"""What the bot answers and publishes for each command, with every port in memory."""

from __future__ import annotations

import pytest

from services.command.domain.answers import Answer
from services.command.domain.commands import parse_command
from services.command.domain.conversation import (
    COMMANDS_PER_MINUTE,
    answer_follow,
    answer_message,
    answer_postback,
)
from services.command.domain.ports import NotificationSettings
from shared.events import (
    AgendaRequested,
    CalendarSubscriptionRequested,
    CalendarUnsubscriptionRequested,
    LineUserFollowed,
    NotificationSettingsChanged,
)
from shared.messages import MAX_POSTBACK_DATA, MAX_QUICK_REPLY_ITEMS, MAX_QUICK_REPLY_LABEL
from shared.subscriptions import SubscribedCalendar
from tests.unit.conversation_fakes import World, google_calendars, said, tapped

USER = "U1234567890abcdef1234567890abcdef"


def text_of(answer: Answer) -> str:
    return "\n".join(m.text for m in answer.messages)


def buttons_of(answer: Answer) -> list[tuple[str, str]]:
    return [(c.label, c.postback_data or "") for m in answer.messages for c in m.quick_replies]


def linked_world(calendars: int = 3) -> World:
    world = World()
    world.google.calendars[USER] = google_calendars(calendars)
    return world


# ---------------------------------------------------------------- adding calendars


def test_add_without_a_link_asks_to_link_first() -> None:
    answer = answer_message(said(USER, "カレンダー追加"), World().ports)

    assert "連携" in text_of(answer)
    assert answer.events == []


def test_add_offers_only_calendars_not_yet_subscribed() -> None:
    # GIVEN a linked user whose primary calendar already notifies them
    world = linked_world(3)
    world.subscribed.rows[USER] = [SubscribedCalendar("me@example.com", "me@example.com", True)]

    # WHEN they send "add"
    answer = answer_message(said(USER, "add"), world.ports)

    # THEN the two others are offered, as text and as buttons
    labels = [label for label, _ in buttons_of(answer)]
    assert labels == ["1. Team calendar 01", "2. Team calendar 02"]
    assert "me@example.com" not in text_of(answer)


def test_thirty_calendars_are_paged_and_none_is_cut_off() -> None:
    # GIVEN a linked user with 30 calendars
    world = linked_world(30)
    answer = answer_message(said(USER, "add"), world.ports)

    # THEN every name is in the text, and the buttons fit LINE's limits
    for n in range(1, 30):
        assert f"Team calendar {n:02d}" in text_of(answer)
    picked: list[str] = []
    pages = 0
    while True:
        pages += 1
        buttons = buttons_of(answer)
        assert len(buttons) <= MAX_QUICK_REPLY_ITEMS
        assert all(len(label) <= MAX_QUICK_REPLY_LABEL for label, _ in buttons)
        assert all(len(data) < MAX_POSTBACK_DATA for _, data in buttons)
        picked += [label for label, data in buttons if "a=pick" in data]
        following = [data for _, data in buttons if "a=page" in data]
        if not following:
            break
        # WHEN they tap "next"
        answer = answer_postback(tapped(USER, following[0]), world.ports)

    # THEN paging with "next" reaches every calendar exactly once
    assert pages == 3
    assert len(picked) == 30 and len(set(picked)) == 30


def test_picking_a_calendar_with_hash_and_at_in_its_id_requests_exactly_that_id() -> None:
    world = linked_world(30)
    menu = answer_message(said(USER, "カレンダー追加"), world.ports)
    data = next(d for label, d in buttons_of(menu) if label.startswith("4."))

    answer = answer_postback(tapped(USER, data), world.ports)

    assert answer.events == [
        CalendarSubscriptionRequested(
            user_id=USER,
            calendar_id="c_0003team#3@group.calendar.google.com",
            event_id=answer.events[0].event_id,
            occurred_at=answer.events[0].occurred_at,
        )
    ]
    assert "Team calendar 03" in text_of(answer)


@pytest.mark.parametrize(
    "text", ["add Team calendar 07", "カレンダー追加 team calendar 07", "add 8", "add calendar 07"]
)
def test_add_with_a_name_or_number_requests_it_at_once(text: str) -> None:
    answer = answer_message(said(USER, text), linked_world(10).ports)

    assert [e.calendar_id for e in answer.events] == [  # type: ignore[attr-defined]
        "c_0007team#7@group.calendar.google.com"
    ]


def test_add_with_an_unknown_name_says_so_and_offers_the_menu() -> None:
    answer = answer_message(said(USER, "add Holidays"), linked_world(3).ports)

    assert 'no calendar called "Holidays"' in text_of(answer)
    assert len(buttons_of(answer)) == 3
    assert answer.events == []


def test_add_of_an_already_subscribed_calendar_says_so() -> None:
    world = linked_world(3)
    world.subscribed.rows[USER] = [
        SubscribedCalendar("c_0001team#1@group.calendar.google.com", "Team calendar 01", False)
    ]

    answer = answer_message(said(USER, "add Team calendar 01"), world.ports)

    assert "already" in text_of(answer)
    assert answer.events == []


def test_google_unavailable_gets_a_try_again_later() -> None:
    world = linked_world(3)
    world.google.unavailable = True

    answer = answer_message(said(USER, "add"), world.ports)

    assert "try again" in text_of(answer)


# ---------------------------------------------------------------- removing calendars


def subscribed_world() -> World:
    world = World()
    world.subscribed.rows[USER] = [
        SubscribedCalendar("me@example.com", "me@example.com", True),
        SubscribedCalendar("family#x@group.calendar.google.com", "Family", False),
    ]
    return world


def test_remove_asks_to_confirm_then_requests_the_removal() -> None:
    world = subscribed_world()

    # WHEN the user picks "Family" from the remove menu
    menu = answer_message(said(USER, "カレンダー削除"), world.ports)
    pick = next(d for label, d in buttons_of(menu) if "Family" in label)
    confirm = answer_postback(tapped(USER, pick), world.ports)

    # THEN they are asked first, and nothing is requested yet
    assert "Family" in text_of(confirm) and confirm.events == []
    yes = next(d for _, d in buttons_of(confirm) if "a=confirm" in d)

    # WHEN they confirm, THEN the removal of exactly that calendar is requested
    done = answer_postback(tapped(USER, yes), world.ports)
    assert [type(e) for e in done.events] == [CalendarUnsubscriptionRequested]
    assert done.events[0].calendar_id == "family#x@group.calendar.google.com"  # type: ignore[attr-defined]


def test_remove_by_list_number_confirms_that_calendar_and_cancel_keeps_it() -> None:
    world = subscribed_world()

    confirm = answer_message(said(USER, "remove 2"), world.ports)
    cancel = next(d for _, d in buttons_of(confirm) if "a=cancel" in d)
    kept = answer_postback(tapped(USER, cancel), world.ports)

    assert "Family" in text_of(confirm)
    assert kept.events == [] and "nothing changed" in text_of(kept)


def test_remove_without_calendars_says_there_are_none() -> None:
    answer = answer_message(said(USER, "remove"), World().ports)

    assert "no calendars" in text_of(answer)


# ---------------------------------------------------------------- sessions


def test_an_expired_button_asks_to_start_again() -> None:
    world = linked_world(3)
    menu = answer_message(said(USER, "add"), world.ports)
    data = buttons_of(menu)[0][1]
    world.sessions.expired.add(world.sessions.open[USER].key)

    answer = answer_postback(tapped(USER, data), world.ports)

    assert "start again" in text_of(answer) and answer.events == []


def test_someone_elses_button_asks_to_start_again() -> None:
    world = linked_world(3)
    world.google.calendars["Uother"] = google_calendars(3)
    menu = answer_message(said(USER, "add"), world.ports)
    answer_message(said("Uother", "add"), world.ports)

    answer = answer_postback(tapped("Uother", buttons_of(menu)[0][1]), world.ports)

    assert "start again" in text_of(answer) and answer.events == []


@pytest.mark.parametrize("data", ["", "garbage", "a=pick&s=k1&i=99999", "a=pick&i=1", "x" * 299])
def test_postback_data_we_did_not_make_asks_to_start_again(data: str) -> None:
    answer = answer_postback(tapped(USER, data), linked_world(3).ports)

    assert "start again" in text_of(answer) and answer.events == []


# ---------------------------------------------------------------- agenda and settings


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("今日の予定", "today"),
        ("tomorrow", "tomorrow"),
        ("今週の予定", "week"),
        ("preview", "preview"),
    ],
)
def test_agenda_commands_ask_the_notification_service_with_the_reply_token(
    text: str, period: str
) -> None:
    answer = answer_message(said(USER, text), World().ports)

    assert answer.messages == []
    (request,) = answer.events
    assert isinstance(request, AgendaRequested)
    assert (request.period, request.reply_token, request.user_id) == (period, "reply-token", USER)


def test_settings_show_the_defaults_when_nothing_was_set() -> None:
    answer = answer_message(said(USER, "設定"), World().ports)

    text = text_of(answer)
    assert "07:00" in text and "10分前" in text and "Asia/Tokyo" in text
    assert "おやすみ時間: なし" in text


def test_settings_show_what_the_user_set() -> None:
    world = World()
    world.settings.rows[USER] = NotificationSettings(
        "06:45", 0, "Europe/London", "22:00-06:00", True
    )

    text = text_of(answer_message(said(USER, "settings"), world.ports))

    assert "06:45" in text and "reminders: off" in text and "Europe/London" in text
    assert "22:00-06:00" in text and "skipped" in text


@pytest.mark.parametrize(
    ("text", "change"),
    [
        ("通知時刻 7:30", {"digest_time": "07:30"}),
        ("digest ０６：０５", {"digest_time": "06:05"}),
        ("リマインド 15分", {"reminder_minutes": 15}),
        ("remind off", {"reminder_minutes": 0}),
        ("timezone america/new_york", {"time_zone": "America/New_York"}),
        ("タイムゾーン JST", {"time_zone": "Asia/Tokyo"}),
        ("おやすみ 23:00〜7:00", {"quiet_hours": "23:00-07:00"}),
        ("quiet off", {"quiet_hours": ""}),
        ("skip on", {"skip_empty_days": True}),
        ("空の日スキップ オフ", {"skip_empty_days": False}),
    ],
)
def test_setting_changes_are_published_normalised(text: str, change: dict[str, object]) -> None:
    answer = answer_message(said(USER, text), World().ports)

    (published,) = answer.events
    assert isinstance(published, NotificationSettingsChanged)
    # The language the user wrote in travels too, so digests come in their language.
    assert published.model_dump(exclude_unset=True, exclude={"event_id", "occurred_at"}) == {
        "user_id": USER,
        "language": parse_command(text).language,
        **change,
    }
    assert answer.messages


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("通知時刻 25:00", "00:00〜23:59"),
        ("digest soon", "00:00 to 23:59"),
        ("remind 500", "0 to 120"),
        ("timezone Mars/Olympus", "Asia/Tokyo"),
        ("quiet 23:00", "23:00-07:00"),
        ("quiet 07:00-07:00", "23:00-07:00"),
        ("skip maybe", "skip on"),
        ("通知時刻", "07:30"),
    ],
)
def test_a_typo_in_a_setting_gets_a_helpful_reply_and_changes_nothing(text: str, hint: str) -> None:
    answer = answer_message(said(USER, text), World().ports)

    assert answer.events == []
    assert hint in text_of(answer)


# ---------------------------------------------------------------- the rest


def test_unknown_text_gets_a_short_hint_not_the_help() -> None:
    answer = answer_message(said(USER, "what's up?"), World().ports)

    assert 'Send "help"' in text_of(answer)
    assert "digest" not in text_of(answer)


def test_the_command_after_the_limit_gets_one_friendly_reply_then_silence() -> None:
    world = World()
    answers = [
        answer_message(said(USER, "help"), world.ports) for _ in range(COMMANDS_PER_MINUTE + 3)
    ]

    assert all("How to use" in text_of(a) for a in answers[:COMMANDS_PER_MINUTE])
    assert "wait a minute" in text_of(answers[COMMANDS_PER_MINUTE])
    assert [a.messages for a in answers[COMMANDS_PER_MINUTE + 1 :]] == [[], []]


def test_follow_welcomes_with_the_link_step_one_tap_away() -> None:
    answer = answer_follow(LineUserFollowed(user_id=USER, webhook_event_id="01H", reply_token="r"))

    assert "連携" in text_of(answer) and "link" in text_of(answer)
    assert [c.text for m in answer.messages for c in m.quick_replies] == ["連携", "link"]


def test_link_answers_with_a_consent_link_for_that_user() -> None:
    world = linked_world(3)

    answer = answer_message(said(USER, "連携"), world.ports)

    assert world.linking.started_for == [USER]
    assert "consent?state=for-" in answer.messages[0].text
