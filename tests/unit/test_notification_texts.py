"""What the user reads: digests, agendas and reminders in Japanese and English."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.notification.domain import texts
from services.notification.domain.agenda import (
    CalendarLabel,
    LabelledEvent,
    day_agenda,
    merge_calendars,
)
from services.notification.domain.calendar_events import read_google_event
from services.notification.domain.preferences import NotificationPreferences
from services.notification.domain.reminders import plan_reminders
from shared.messages import MAX_MESSAGES_PER_CALL, MAX_TEXT_UTF16_UNITS, utf16_length
from tests.calendar_builders import all_day_event, fixture_event, timed_event

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 12, 3)
WORK = CalendarLabel("work", "仕事")
SHARED = CalendarLabel("boss", "Boss", busy_only=True)


def digest(*labelled: tuple[dict[str, object], CalendarLabel], language: str = "ja") -> str:
    events = []
    for raw, label in labelled:
        event = read_google_event(raw)
        assert event is not None
        events.append(LabelledEvent(event, label))
    agenda = day_agenda(merge_calendars(events), DAY, TOKYO)
    return texts.day_text(agenda, "digest", language)  # type: ignore[arg-type]


def test_a_japanese_digest_lists_all_day_first_then_times_with_calendar_names() -> None:
    text = digest(
        (fixture_event("4m1n0pqrstu2v3w4x5y6z7a8b9"), WORK),
        (fixture_event("allday20261203x"), WORK),
    )

    assert text.splitlines() == [
        "おはようございます。12月3日(木)の予定です。",
        "終日 有給休暇 [仕事]",
        "10:00-11:00 定例ミーティング [仕事]",
    ]


def test_an_english_digest_says_all_day_and_no_title() -> None:
    untitled = timed_event("u", "2026-12-03T09:00:00+09:00", "2026-12-03T09:30:00+09:00", None)

    text = digest(
        (all_day_event("h", "2026-12-03", "2026-12-04", "Holiday"), WORK),
        (untitled, WORK),
        language="en",
    )

    assert text.splitlines()[1:] == ["All day Holiday [仕事]", "09:00-09:30 (No title) [仕事]"]
    assert text.startswith("Good morning! Your Thu, Dec 3:")


def test_untitled_and_busy_only_events_in_japanese() -> None:
    untitled = timed_event("u", "2026-12-03T09:00:00+09:00", "2026-12-03T09:30:00+09:00", None)
    secret = timed_event("s", "2026-12-03T13:00:00+09:00", "2026-12-03T14:00:00+09:00", None)

    lines = digest((untitled, WORK), (secret, SHARED)).splitlines()

    assert lines[1] == "09:00-09:30 (タイトルなし) [仕事]"
    assert lines[2] == "13:00-14:00 予定あり [Boss]"


def test_a_night_event_reads_from_and_until_on_its_two_days() -> None:
    night = timed_event("n", "2026-12-02T23:00:00+09:00", "2026-12-03T02:00:00+09:00", "夜勤")
    late = timed_event("l", "2026-12-03T23:00:00+09:00", "2026-12-04T01:00:00+09:00", "Late")

    lines = digest((night, WORK), (late, WORK)).splitlines()

    assert lines[1:] == ["〜02:00 夜勤 [仕事]", "23:00〜 Late [仕事]"]


def test_an_empty_day_says_so_and_names_an_unreadable_calendar() -> None:
    agenda = day_agenda([], DAY, TOKYO)

    text = texts.day_text(agenda, "digest", "ja", unreadable=["Family"])

    assert "今日の予定はありません。" in text
    assert "Family" in text.splitlines()[-1]


def test_a_long_digest_fits_in_one_push_of_at_most_five_messages() -> None:
    many = [
        (
            timed_event(
                f"e{n}",
                "2026-12-03T10:00:00+09:00",
                "2026-12-03T11:00:00+09:00",
                "とても長い会議の名前" * 20 + str(n),
            ),
            WORK,
        )
        for n in range(400)
    ]

    messages = texts.in_one_call(digest(*many), "ja")

    assert len(messages) == MAX_MESSAGES_PER_CALL
    assert all(utf16_length(m.text) <= MAX_TEXT_UTF16_UNITS for m in messages)
    assert messages[-1].text.endswith("(続きは Google カレンダーで確認してください)")
    # cut at line ends: every part but the marker is whole event lines
    assert all(line.startswith("10:00-11:00") for line in messages[1].text.splitlines())


def test_a_short_digest_is_one_message() -> None:
    assert len(texts.in_one_call("short", "en")) == 1


def test_a_reminder_names_the_event_its_time_and_the_minutes_left() -> None:
    meeting = read_google_event(fixture_event("4m1n0pqrstu2v3w4x5y6z7a8b9"))
    assert meeting is not None
    planned = plan_reminders(
        merge_calendars([LabelledEvent(meeting, WORK)]), NotificationPreferences()
    )

    text = texts.reminder_text(planned[0], planned[0].send_at, "ja", TOKYO)

    assert text == "⏰ まもなく (10分後)\n10:00 定例ミーティング [仕事]"
    assert planned[0].send_at == datetime(2026, 12, 3, 9, 50, tzinfo=TOKYO)


def test_week_agenda_lists_only_days_with_events_under_day_headings() -> None:
    meeting = read_google_event(fixture_event("4m1n0pqrstu2v3w4x5y6z7a8b9"))
    assert meeting is not None
    merged = merge_calendars([LabelledEvent(meeting, WORK)])
    agendas = [day_agenda(merged, date(2026, 12, d), TOKYO) for d in range(1, 8)]

    text = texts.week_text(agendas, "en")

    assert text.splitlines() == [
        "The next 7 days",
        "",
        "■ Thu, Dec 3",
        "10:00-11:00 定例ミーティング [仕事]",
    ]
