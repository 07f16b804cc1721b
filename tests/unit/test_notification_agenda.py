"""The user's day, in their zone: which events are on it and in what order (fixed clocks)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.notification.domain.agenda import (
    CalendarLabel,
    LabelledEvent,
    day_agenda,
    day_window,
    local_day,
    merge_calendars,
)
from services.notification.domain.calendar_events import CachedEvent, read_google_event
from tests.calendar_builders import all_day_event, fixture_event, timed_event

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
WORK = CalendarLabel("work@example.com", "仕事")
FAMILY = CalendarLabel("family@example.com", "Family")


def shown(raw: dict[str, object]) -> CachedEvent:
    event = read_google_event(raw)
    assert event is not None
    return event


def on_day(day: date, *raws: dict[str, object], zone: ZoneInfo = TOKYO) -> list[str | None]:
    events = [LabelledEvent(shown(raw), WORK) for raw in raws]
    return [line.title for line in day_agenda(merge_calendars(events), day, zone).lines]


def test_a_tokyo_user_at_7_jst_gets_the_day_from_midnight_to_midnight_jst() -> None:
    # GIVEN the digest tick for a Tokyo user at 07:00 JST (22:00 UTC the day before)
    at = datetime(2026, 12, 2, 22, 0, tzinfo=ZoneInfo("UTC"))

    # WHEN the day is computed in their zone
    day = local_day(at, TOKYO)
    window = day_window(day, TOKYO)

    # THEN it is the 3rd, 00:00 to 24:00 JST, not the UTC date
    assert day == date(2026, 12, 3)
    assert window.start == datetime(2026, 12, 3, 0, 0, tzinfo=TOKYO)
    assert window.end == datetime(2026, 12, 4, 0, 0, tzinfo=TOKYO)


def test_events_at_both_edges_of_the_local_day_are_on_it_and_no_others() -> None:
    early = timed_event("early", "2026-12-03T00:00:00+09:00", "2026-12-03T00:30:00+09:00", "Early")
    late = timed_event("late", "2026-12-03T23:30:00+09:00", "2026-12-03T23:59:00+09:00", "Late")
    before = timed_event("before", "2026-12-02T22:00:00+09:00", "2026-12-02T23:00:00+09:00")
    after = timed_event("after", "2026-12-04T00:00:00+09:00", "2026-12-04T01:00:00+09:00")

    assert on_day(date(2026, 12, 3), early, late, before, after) == ["Early", "Late"]


def test_an_event_ending_exactly_at_midnight_does_not_leak_into_the_next_day() -> None:
    evening = timed_event(
        "evening", "2026-12-03T22:00:00+09:00", "2026-12-04T00:00:00+09:00", "Evening"
    )

    assert on_day(date(2026, 12, 3), evening) == ["Evening"]
    assert on_day(date(2026, 12, 4), evening) == []


def test_an_event_spanning_midnight_is_on_both_days_clipped_to_each() -> None:
    night = timed_event("night", "2026-12-03T23:00:00+09:00", "2026-12-04T02:00:00+09:00", "Night")

    first = day_agenda(
        merge_calendars([LabelledEvent(shown(night), WORK)]), date(2026, 12, 3), TOKYO
    )
    second = day_agenda(
        merge_calendars([LabelledEvent(shown(night), WORK)]), date(2026, 12, 4), TOKYO
    )

    assert first.lines[0].ends_after and not first.lines[0].starts_before
    assert second.lines[0].starts_before and not second.lines[0].ends_after
    assert f"{second.lines[0].end:%H:%M}" == "02:00"


def test_a_three_day_trip_shows_on_three_days_with_the_end_date_exclusive() -> None:
    trip = all_day_event("trip", "2026-12-03", "2026-12-06", "Trip")

    shown_on = [d for d in range(2, 8) if on_day(date(2026, 12, d), trip) == ["Trip"]]

    assert shown_on == [3, 4, 5]


def test_an_all_day_event_is_on_its_date_in_any_zone() -> None:
    holiday = all_day_event("holiday", "2026-12-03", "2026-12-04", "Holiday")

    assert on_day(date(2026, 12, 3), holiday, zone=NEW_YORK) == ["Holiday"]
    assert on_day(date(2026, 12, 4), holiday, zone=NEW_YORK) == []


def test_all_day_events_come_first_then_timed_ones_by_start() -> None:
    page = [
        fixture_event("declinedparty01"),
        fixture_event("weeklysync_20261203T030000Z"),
        fixture_event("4m1n0pqrstu2v3w4x5y6z7a8b9"),
        fixture_event("allday20261203x"),
    ]

    titles = on_day(date(2026, 12, 3), *[e for e in page if read_google_event(e)])

    assert titles == ["有給休暇", "定例ミーティング", "週次1on1"]


def test_cancelled_and_declined_events_are_not_shown() -> None:
    cancelled = timed_event(
        "gone", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00", status="cancelled"
    )

    assert read_google_event(cancelled) is None
    assert read_google_event(fixture_event("declinedparty01")) is None
    assert read_google_event(fixture_event("weeklysync_20261203T030000Z")) is not None


def test_an_untitled_event_has_no_title_to_show() -> None:
    untitled = timed_event("x", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00", None)
    blank = timed_event("y", "2026-12-03T12:00:00+09:00", "2026-12-03T13:00:00+09:00", "  ")

    assert shown(untitled).title is None
    assert shown(blank).title is None


def test_the_same_event_on_two_calendars_is_shown_once_with_both_names() -> None:
    meeting = shown(fixture_event("4m1n0pqrstu2v3w4x5y6z7a8b9"))

    merged = merge_calendars([LabelledEvent(meeting, WORK), LabelledEvent(meeting, FAMILY)])

    assert len(merged) == 1
    assert merged[0].calendars == ("仕事", "Family")


def test_instances_of_one_series_share_an_icaluid_but_are_not_merged() -> None:
    monday = timed_event(
        "s_1", "2026-12-07T10:00:00+09:00", "2026-12-07T11:00:00+09:00", iCalUID="s@google.com"
    )
    tuesday = timed_event(
        "s_2", "2026-12-08T10:00:00+09:00", "2026-12-08T11:00:00+09:00", iCalUID="s@google.com"
    )

    merged = merge_calendars(
        [LabelledEvent(shown(monday), WORK), LabelledEvent(shown(tuesday), WORK)]
    )

    assert len(merged) == 2


def test_a_title_is_kept_when_the_event_is_also_on_a_busy_only_calendar() -> None:
    meeting = shown(fixture_event("4m1n0pqrstu2v3w4x5y6z7a8b9"))
    busy = CalendarLabel("boss@example.com", "Boss", busy_only=True)

    merged = merge_calendars([LabelledEvent(meeting, busy), LabelledEvent(meeting, WORK)])

    assert not merged[0].busy_only
    assert merged[0].event.title == "定例ミーティング"


def test_a_title_with_line_breaks_and_direction_overrides_reads_as_one_clean_line() -> None:
    # GIVEN an event whose title would otherwise look like two events, one reversed
    raw = timed_event(
        "t1", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00", "会議\n\u202eevil\u202c\t"
    )

    # WHEN it is read
    event = read_google_event(raw)

    # THEN its title is one line without the override characters
    assert event is not None and event.title == "会議 evil"
