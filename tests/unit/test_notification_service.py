"""The notification service's use cases against fakes: what the user gets, and what it costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notification.domain.preferences import NotificationPreferences
from services.notification.fanout import fan_out_digests, fan_out_reminders
from services.notification.work import SendDigest, SendReminders, work_order_from_body
from shared.events import (
    AgendaRequested,
    GoogleAccessRevoked,
    GoogleAccountLinked,
    LineUserUnfollowed,
    NotificationSettingsChanged,
)
from shared.google_calendar import (
    CalendarNotFound,
    GoogleRateLimited,
    GrantRevoked,
    SyncTokenExpired,
)
from shared.line_messaging import LineMonthlyQuotaExhausted, LineRateLimited
from tests.calendar_builders import all_day_event, timed_event
from tests.unit.notification_fakes import ScriptedSource, World, iter_users, page

AT_7_JST = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # 07:00 JST on 3 December
MEETING = timed_event("m1", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00", "定例")
LUNCH = timed_event("l1", "2026-12-03T12:00:00+09:00", "2026-12-03T13:00:00+09:00", "ランチ")
TRIP = all_day_event("t1", "2026-12-03", "2026-12-05", "出張")


def two_calendar_user(world: World, **prefs: object) -> ScriptedSource:
    source = ScriptedSource(
        {
            "primary": [page([MEETING], next_page="p2"), page([], next_page="p3"), page([TRIP])],
            "family": [page([LUNCH], sync_token="family-1")],
        }
    )
    world.user(
        "U1",
        source,
        [("primary", "メイン"), ("family", "家族")],
        NotificationPreferences(**prefs),  # type: ignore[arg-type]
    )
    return source


def test_the_digest_merges_every_page_of_every_calendar_into_one_push() -> None:
    world = World()
    source = two_calendar_user(world)

    outcome = world.service.send_digest("U1", AT_7_JST)

    assert outcome == "sent"
    assert len(world.messenger.sent) == 1
    assert world.messenger.sent[0].texts[0].splitlines() == [
        "おはようございます。12月3日(木)の予定です。",
        "終日 出張 [メイン]",
        "10:00-11:00 定例 [メイン]",
        "12:00-13:00 ランチ [家族]",
    ]
    # every page was read, the empty middle one included
    assert [c["page_token"] for c in source.calls if c["calendar_id"] == "primary"] == [
        None,
        "p2",
        "p3",
    ]


def test_a_second_digest_attempt_sends_nothing_and_reads_nothing() -> None:
    world = World()
    source = two_calendar_user(world)
    world.service.send_digest("U1", AT_7_JST)
    calls = len(source.calls)

    outcome = world.service.send_digest("U1", AT_7_JST)

    assert outcome == "already_sent"
    assert len(world.messenger.sent) == 1
    assert len(source.calls) == calls


def test_the_next_day_costs_one_call_per_calendar_with_the_stored_sync_tokens() -> None:
    world = World()
    source = two_calendar_user(world)
    world.service.send_digest("U1", AT_7_JST)
    source.answers = {"primary": [page([])], "family": [page([])]}
    source.calls.clear()

    world.service.send_digest("U1", AT_7_JST + timedelta(days=1))

    assert [(c["calendar_id"], c["sync_token"]) for c in source.calls] == [
        ("primary", "sync-1"),
        ("family", "family-1"),
    ]
    assert "出張" in world.messenger.sent[1].texts[0]  # the 2-day trip, from the cache


def test_a_stale_sync_token_drops_the_copy_and_does_one_full_sync() -> None:
    world = World()
    source = two_calendar_user(world)
    world.service.send_digest("U1", AT_7_JST)
    source.answers = {
        "primary": [SyncTokenExpired(410, "fullSyncRequired"), page([LUNCH], sync_token="new")],
        "family": [page([])],
    }

    world.service.send_digest("U1", AT_7_JST + timedelta(days=1))

    full = [c for c in source.calls if c["calendar_id"] == "primary"][-1]
    assert full["sync_token"] is None and full["time_min"] is not None
    assert world.caches.rows[("U1", "primary")][0] == "new"
    assert "出張" not in world.messenger.sent[1].texts[0]


def test_an_unreadable_calendar_is_named_and_does_not_block_the_others() -> None:
    world = World()
    source = two_calendar_user(world)
    source.answers["family"] = [CalendarNotFound(404, "notFound")]

    world.service.send_digest("U1", AT_7_JST)

    text = world.messenger.sent[0].texts[0]
    assert "定例" in text
    assert text.splitlines()[-1].startswith("⚠") and "家族" in text.splitlines()[-1]


def test_rate_limits_after_the_clients_retries_fail_the_record_for_sqs() -> None:
    world = World()
    source = two_calendar_user(world)
    source.answers["primary"] = [GoogleRateLimited(429, "rateLimitExceeded")]

    with pytest.raises(GoogleRateLimited):
        world.service.send_digest("U1", AT_7_JST)

    assert world.messenger.sent == []
    assert world.meter.counts["GoogleRateLimited"] == 1


def test_a_refused_grant_is_reported_once_and_reading_stops() -> None:
    # GIVEN Google refuses the user's grant
    world = World()
    source = two_calendar_user(world)
    source.answers["primary"] = [GrantRevoked(400, "invalid_grant")]

    # WHEN two digests come due
    world.service.send_digest("U1", AT_7_JST)
    world.service.send_digest("U1", AT_7_JST + timedelta(days=1))

    # THEN GoogleAccessRevoked is published once (the command service tells the user),
    # nothing is pushed from here, and Google is not asked again
    assert [type(e) for e in world.bus.published] == [GoogleAccessRevoked]
    assert world.messenger.sent == []
    assert len(source.calls) == 1


def test_relinking_resumes_digests() -> None:
    world = World()
    source = two_calendar_user(world)
    source.answers["primary"] = [GrantRevoked(400, "invalid_grant")]
    world.service.send_digest("U1", AT_7_JST)

    world.links.link("U1", source, linked_at="2026-12-03")
    world.service.handle_event(GoogleAccountLinked(user_id="U1"))
    source.answers = {"primary": [page([MEETING])], "family": [page([])]}
    world.service.send_digest("U1", AT_7_JST + timedelta(days=1))

    [digest] = world.messenger.sent
    assert digest.texts[0].startswith("おはようございます。12月4日(金)")


def test_an_empty_day_is_a_short_message_or_nothing_when_the_user_skips_them() -> None:
    for skip, expected in ((False, 1), (True, 0)):
        world = World()
        source = ScriptedSource({"primary": [page([])]})
        world.user(
            "U1", source, [("primary", "メイン")], NotificationPreferences(skip_empty_days=skip)
        )

        world.service.send_digest("U1", AT_7_JST)

        assert len(world.messenger.sent) == expected
        if expected:
            assert "今日の予定はありません。" in world.messenger.sent[0].texts[0]


def test_the_digest_retry_key_is_derived_from_user_kind_and_date() -> None:
    first, second = World(), World()
    two_calendar_user(first)
    two_calendar_user(second)

    first.service.send_digest("U1", AT_7_JST)
    second.service.send_digest("U1", AT_7_JST + timedelta(minutes=3))

    assert first.messenger.sent[0].retry_key == second.messenger.sent[0].retry_key


def test_a_line_rate_limit_is_retried_and_the_digest_still_goes_once() -> None:
    world = World()
    two_calendar_user(world)
    world.messenger.failures = [LineRateLimited(429, "rate"), LineRateLimited(429, "rate")]

    assert world.service.send_digest("U1", AT_7_JST) == "sent"
    assert len(world.messenger.sent) == 1


def test_an_exhausted_monthly_quota_is_counted_not_retried() -> None:
    world = World()
    two_calendar_user(world)
    world.messenger.failures = [
        LineMonthlyQuotaExhausted(429, "You have reached your monthly limit.")
    ]

    outcome = world.service.send_digest("U1", AT_7_JST)

    assert outcome == "quota_exhausted"
    assert world.meter.counts["LineMonthlyQuotaExhausted"] == 1
    assert world.meter.counts["LineCalls"] == 1


def test_reminders_go_out_once_and_the_next_wake_is_planned() -> None:
    world = World()
    source = ScriptedSource({"primary": [page([MEETING]), page([]), page([])]})
    world.user("U1", source, [("primary", "メイン")])
    at_0950 = datetime(2026, 12, 3, 0, 50, tzinfo=UTC)

    first = world.service.send_reminders("U1", at_0950)
    again = world.service.send_reminders("U1", at_0950)

    assert (first, again) == (1, 0)
    assert world.messenger.sent[0].texts[0].startswith("⏰ まもなく (10分後)\n10:00 定例")
    assert world.settings.wakes["U1"] == "2026-12-03T01:20"


def test_an_agenda_for_the_week_is_answered_by_reply() -> None:
    world = World()
    two_calendar_user(world)
    request = AgendaRequested(
        user_id="U1",
        period="week",
        reply_token="r1",
        language="en",
        occurred_at=datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
    )

    world.service.handle_event(request)

    sent = world.messenger.sent[0]
    assert sent.via == "reply"
    assert sent.texts[0].splitlines()[:3] == ["The next 7 days", "", "■ Thu, Dec 3"]
    assert "■ Fri, Dec 4" in sent.texts[0]  # the trip's second day


def test_an_agenda_without_a_link_says_how_to_link() -> None:
    world = World()

    world.service.handle_event(AgendaRequested(user_id="U9", period="today", reply_token="r"))

    assert "連携" in world.messenger.sent[0].texts[0]


def test_changed_settings_are_kept_silently_and_move_the_digest_minute() -> None:
    world = World()
    two_calendar_user(world)

    world.service.handle_event(
        NotificationSettingsChanged(user_id="U1", digest_time="06:30", quiet_hours="23:00-07:00")
    )

    record = world.settings.get("U1")
    assert record is not None and f"{record.preferences.digest_time:%H:%M}" == "06:30"
    assert world.settings.digest_minutes["U1"] == "21:30"
    # The command service confirmed it in its reply: no second message from here.
    assert world.messenger.sent == []


def test_a_bad_setting_is_refused_with_an_example_and_nothing_changes() -> None:
    world = World()
    two_calendar_user(world)

    world.service.handle_event(NotificationSettingsChanged(user_id="U1", time_zone="Mars/Base"))

    record = world.settings.get("U1")
    assert record is not None and record.preferences.time_zone == "Asia/Tokyo"
    assert "time_zone" in world.messenger.sent[0].texts[0]


def test_linking_creates_default_settings_for_a_7am_tokyo_digest() -> None:
    world = World()

    world.service.handle_event(GoogleAccountLinked(user_id="U2", occurred_at=AT_7_JST))

    record = world.settings.get("U2")
    assert record is not None and record.preferences == NotificationPreferences()
    assert world.settings.digest_minutes["U2"] == "22:00"


def test_unfollowing_forgets_settings_and_cached_calendars() -> None:
    world = World()
    two_calendar_user(world)
    world.service.send_digest("U1", AT_7_JST)

    world.service.handle_event(LineUserUnfollowed(user_id="U1", webhook_event_id="w"))

    assert world.settings.get("U1") is None
    assert world.caches.load_all("U1") == {}


class ListQueue:
    def __init__(self) -> None:
        self.batches: list[list[object]] = []

    def enqueue(self, orders: list[object]) -> None:  # type: ignore[override]
        self.batches.append(list(orders))


class ListIndex:
    def __init__(self, digest: dict[str, list[str]], reminders: dict[str, list[str]]) -> None:
        self.digest, self.reminders = digest, reminders

    def digest_due(self, digest_minute: str):  # type: ignore[no-untyped-def]
        return iter_users(*self.digest.get(digest_minute, []))

    def reminders_due(self, minute: str):  # type: ignore[no-untyped-def]
        return iter_users(*self.reminders.get(minute, []))


def test_the_fan_out_queues_one_order_per_due_user_ten_to_a_batch() -> None:
    index = ListIndex({"22:00": [f"U{n}" for n in range(23)]}, {})
    queue = ListQueue()

    summary = fan_out_digests(AT_7_JST + timedelta(seconds=42), index, queue)  # type: ignore[arg-type]

    assert summary.queued == 23
    assert [len(b) for b in queue.batches] == [10, 10, 3]
    first = queue.batches[0][0]
    assert isinstance(first, SendDigest) and first.at == AT_7_JST


def test_the_reminder_fan_out_also_picks_up_the_minutes_just_missed() -> None:
    index = ListIndex({}, {"2026-12-02T21:58": ["Ulate"], "2026-12-02T22:00": ["Unow"]})
    queue = ListQueue()

    summary = fan_out_reminders(AT_7_JST, index, queue)  # type: ignore[arg-type]

    assert summary.queued == 2
    assert {o.user_id for o in queue.batches[0]} == {"Ulate", "Unow"}  # type: ignore[attr-defined]


def test_a_work_order_round_trips_through_a_queue_body_and_bus_events_are_not_orders() -> None:
    order = SendReminders(user_id="U1", at=AT_7_JST)

    assert work_order_from_body(order.model_dump_json()) == order
    assert work_order_from_body('{"detail-type": "AgendaRequested", "detail": {}}') is None
