"""The subscription service's decisions, over fakes: what changes, what users are told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.subscription.domain.subscriptions import (
    AccessRevoked,
    CalendarsUnreadable,
    LiveCalendar,
    NotLinked,
    Outcome,
    Subscription,
    Subscriptions,
)
from shared.events import (
    CalendarSubscribed,
    CalendarSubscriptionRejected,
    CalendarSubscriptionRequested,
    CalendarUnsubscribed,
    CalendarUnsubscriptionRequested,
    DomainEvent,
    GoogleAccessRevoked,
    GoogleAccountLinked,
    LineUserUnfollowed,
    UserNeedsDefaultCalendar,
)
from shared.messages import OutgoingMessage
from shared.subscriptions import MAX_CALENDARS_PER_USER

USER = "U1f2e3d4c5b6a79880123456789abcdef"
PRIMARY = LiveCalendar("me@example.com", "me@example.com", is_primary=True, readable=True)
WORK = LiveCalendar("c_work@group.calendar.google.com", "仕事", is_primary=False, readable=True)
BUSY_ONLY = LiveCalendar("boss@example.com", "Boss", is_primary=False, readable=False)
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------- fakes


@dataclass
class FakeTable:
    rows: dict[tuple[str, str], Subscription] = field(default_factory=dict)

    def find(self, user_id: str, calendar_id: str) -> Subscription | None:
        return self.rows.get((user_id, calendar_id))

    def count(self, user_id: str) -> int:
        return sum(1 for user, _ in self.rows if user == user_id)

    def add(self, subscription: Subscription) -> bool:
        key = (subscription.user_id, subscription.calendar_id)
        if key in self.rows:
            return False
        self.rows[key] = subscription
        return True

    def mark_confirmed(self, user_id: str, calendar_id: str) -> None:
        row = self.rows.get((user_id, calendar_id))
        if row is not None:
            self.rows[(user_id, calendar_id)] = replace(row, confirmed=True)

    def remove(self, user_id: str, calendar_id: str, subscribed_at: datetime) -> bool:
        row = self.rows.get((user_id, calendar_id))
        if row is None or row.subscribed_at != subscribed_at:
            return False
        del self.rows[(user_id, calendar_id)]
        return True

    def remove_all(self, user_id: str) -> int:
        mine = [key for key in self.rows if key[0] == user_id]
        for key in mine:
            del self.rows[key]
        return len(mine)


@dataclass
class TableFailingOneRemove(FakeTable):
    failed: bool = False

    def remove(self, user_id: str, calendar_id: str, subscribed_at: datetime) -> bool:
        if not self.failed:
            self.failed = True
            raise OSError("throttled")
        return super().remove(user_id, calendar_id, subscribed_at)


@dataclass
class FakeGoogle:
    calendars: list[LiveCalendar] = field(default_factory=lambda: [PRIMARY, WORK, BUSY_ONLY])
    error: Exception | None = None
    calls: int = 0

    def calendars_of(self, user_id: str) -> list[LiveCalendar]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return list(self.calendars)


@dataclass
class FakeBus:
    published: list[DomainEvent] = field(default_factory=list)

    def publish(self, *events: DomainEvent) -> None:
        self.published.extend(events)


@dataclass
class FakeLine:
    """Delivers a push once per retry key, as LINE does; can fail the next push."""

    delivered: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    fail_next: bool = False

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("LINE unavailable")
        if retry_key in self.keys:
            return
        self.keys.add(retry_key)
        self.delivered.extend(m.text for m in messages)


@dataclass
class World:
    table: FakeTable = field(default_factory=FakeTable)
    google: FakeGoogle = field(default_factory=FakeGoogle)
    bus: FakeBus = field(default_factory=FakeBus)
    line: FakeLine = field(default_factory=FakeLine)
    clock: list[datetime] = field(default_factory=lambda: [START])

    @property
    def service(self) -> Subscriptions:
        return Subscriptions(self.table, self.google, self.bus, self.line, lambda: self.clock[0])

    def published(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.bus.published if isinstance(e, kind)]

    def calendar_ids(self) -> list[str]:
        return sorted(calendar for _, calendar in self.table.rows)


def subscribe_row(world: World, calendar: LiveCalendar, at: datetime = START) -> None:
    world.table.rows[(USER, calendar.calendar_id)] = Subscription(
        USER, calendar.calendar_id, calendar.name, calendar.is_primary, at, "earlier", True
    )


# ---------------------------------------------------------------- the primary calendar


@pytest.mark.parametrize("kind", [GoogleAccountLinked, UserNeedsDefaultCalendar])
def test_linking_subscribes_the_primary_calendar_with_its_real_id_and_name(
    kind: type[GoogleAccountLinked | UserNeedsDefaultCalendar],
) -> None:
    world = World()

    result = world.service.handle(kind(user_id=USER))

    assert result.outcome is Outcome.SUBSCRIBED
    row = world.table.rows[(USER, "me@example.com")]
    assert (row.name, row.is_primary, row.subscribed_at, row.confirmed) == (
        "me@example.com",
        True,
        START,
        True,
    )
    assert [(e.calendar_id, e.is_primary) for e in world.published(CalendarSubscribed)] == [  # type: ignore[attr-defined]
        ("me@example.com", True)
    ]
    assert len(world.line.delivered) == 1 and "me@example.com" in world.line.delivered[0]


def test_the_same_event_three_times_and_a_replay_make_one_row_and_one_message() -> None:
    world = World()
    event = UserNeedsDefaultCalendar(user_id=USER)

    outcomes = [world.service.handle(event).outcome for _ in range(3)]
    outcomes.append(world.service.handle(event, replayed=True).outcome)

    assert outcomes == [Outcome.SUBSCRIBED] + [Outcome.UNCHANGED] * 3
    assert world.calendar_ids() == ["me@example.com"]
    assert len(world.published(CalendarSubscribed)) == 1
    assert len(world.line.delivered) == 1


def test_distinct_requests_for_the_primary_calendar_change_it_once() -> None:
    world = World()

    for _ in range(3):
        world.service.handle(UserNeedsDefaultCalendar(user_id=USER))

    assert world.calendar_ids() == ["me@example.com"]
    assert len(world.line.delivered) == 1


def test_a_retry_after_a_failed_push_tells_the_user_once() -> None:
    # GIVEN the row was written but LINE failed, so the record is redelivered
    world = World()
    event = GoogleAccountLinked(user_id=USER)
    world.line.fail_next = True
    with pytest.raises(ConnectionError):
        world.service.handle(event)
    assert world.line.delivered == []

    # WHEN the redelivered copy is handled
    result = world.service.handle(event)

    # THEN the confirmation goes out now, and only now
    assert result.outcome is Outcome.SUBSCRIBED
    assert len(world.line.delivered) == 1
    assert world.service.handle(event).outcome is Outcome.UNCHANGED
    assert len(world.line.delivered) == 1


def test_a_user_without_a_usable_link_is_skipped_with_a_reason() -> None:
    world = World(google=FakeGoogle(error=NotLinked()))

    result = world.service.handle(UserNeedsDefaultCalendar(user_id=USER))

    assert (result.outcome, result.reason) == (Outcome.SKIPPED, "not_linked")
    assert (world.table.rows, world.bus.published, world.line.delivered) == ({}, [], [])


def test_a_revoked_grant_is_reported_for_the_command_service_to_act_on() -> None:
    world = World(google=FakeGoogle(error=AccessRevoked()))
    event = GoogleAccountLinked(user_id=USER)

    result = world.service.handle(event)

    assert result.outcome is Outcome.REVOKED
    [revoked] = world.published(GoogleAccessRevoked)
    assert (revoked.user_id, revoked.correlation_id) == (USER, event.event_id)  # type: ignore[attr-defined]
    assert world.table.rows == {} and world.line.delivered == []


def test_rate_limits_and_outages_propagate_so_the_queue_retries() -> None:
    world = World(google=FakeGoogle(error=TimeoutError("Google 503")))

    with pytest.raises(TimeoutError):
        world.service.handle(GoogleAccountLinked(user_id=USER))
    assert world.table.rows == {} and world.bus.published == []


# ---------------------------------------------------------------- asked-for calendars


def test_a_readable_calendar_is_subscribed_on_request() -> None:
    world = World()
    subscribe_row(world, PRIMARY)

    result = world.service.handle(
        CalendarSubscriptionRequested(user_id=USER, calendar_id=WORK.calendar_id)
    )

    assert result.outcome is Outcome.SUBSCRIBED
    assert world.table.rows[(USER, WORK.calendar_id)].name == "仕事"
    assert "仕事" in world.line.delivered[0]


@pytest.mark.parametrize(
    ("calendar_id", "google", "reason"),
    [
        ("nobody@example.com", FakeGoogle(), "unknown_calendar"),
        (BUSY_ONLY.calendar_id, FakeGoogle(), "no_access"),
        (WORK.calendar_id, FakeGoogle(error=CalendarsUnreadable("forbidden")), "no_access"),
        (WORK.calendar_id, FakeGoogle(error=NotLinked()), "not_linked"),
    ],
)
def test_a_calendar_that_cannot_be_read_is_rejected_and_the_user_told_why(
    calendar_id: str, google: FakeGoogle, reason: str
) -> None:
    world = World(google=google)
    event = CalendarSubscriptionRequested(user_id=USER, calendar_id=calendar_id)

    result = world.service.handle(event)
    world.service.handle(event)  # a duplicate says nothing new

    assert (result.outcome, result.reason) == (Outcome.REJECTED, reason)
    assert world.table.rows == {}
    rejected = world.published(CalendarSubscriptionRejected)
    assert {e.reason for e in rejected} == {reason}  # type: ignore[attr-defined]
    assert len(world.line.delivered) == 1


def test_a_replayed_rejection_is_not_told_again() -> None:
    world = World()
    event = CalendarSubscriptionRequested(user_id=USER, calendar_id="nobody@example.com")

    world.service.handle(event, replayed=True)

    assert world.line.delivered == []


def test_at_most_twenty_calendars() -> None:
    world = World()
    for number in range(MAX_CALENDARS_PER_USER):
        subscribe_row(world, LiveCalendar(f"c{number}", f"C{number}", False, True))

    result = world.service.handle(
        CalendarSubscriptionRequested(user_id=USER, calendar_id=WORK.calendar_id)
    )

    assert (result.outcome, result.reason) == (Outcome.REJECTED, "limit_reached")
    assert len(world.table.rows) == MAX_CALENDARS_PER_USER


def test_asking_for_a_calendar_already_subscribed_changes_and_says_nothing() -> None:
    world = World()
    subscribe_row(world, WORK)

    result = world.service.handle(
        CalendarSubscriptionRequested(user_id=USER, calendar_id=WORK.calendar_id)
    )

    assert result.outcome is Outcome.UNCHANGED
    assert world.google.calls == 0
    assert (world.bus.published, world.line.delivered) == ([], [])


# ---------------------------------------------------------------- removing


def test_unsubscribing_removes_the_row_and_tells_the_user_once() -> None:
    world = World()
    subscribe_row(world, WORK)
    event = CalendarUnsubscriptionRequested(
        user_id=USER, calendar_id=WORK.calendar_id, occurred_at=START + timedelta(hours=1)
    )

    outcomes = [world.service.handle(event).outcome for _ in range(2)]

    assert outcomes == [Outcome.UNSUBSCRIBED, Outcome.UNCHANGED]
    assert world.table.rows == {}
    assert [e.calendar_id for e in world.published(CalendarUnsubscribed)] == [WORK.calendar_id]  # type: ignore[attr-defined]
    assert len(world.line.delivered) == 1 and "仕事" in world.line.delivered[0]
    assert world.google.calls == 0


def test_a_late_copy_of_an_old_removal_does_not_undo_a_newer_subscription() -> None:
    world = World()
    subscribe_row(world, WORK, at=START + timedelta(days=1))
    old_request = CalendarUnsubscriptionRequested(
        user_id=USER, calendar_id=WORK.calendar_id, occurred_at=START
    )

    result = world.service.handle(old_request)

    assert result.outcome is Outcome.UNCHANGED
    assert world.calendar_ids() == [WORK.calendar_id]


def test_a_removal_retried_after_a_failed_delete_tells_the_user_once() -> None:
    world = World()
    subscribe_row(world, WORK)
    event = CalendarUnsubscriptionRequested(
        user_id=USER, calendar_id=WORK.calendar_id, occurred_at=START + timedelta(hours=1)
    )
    world.table = TableFailingOneRemove(world.table.rows)
    with pytest.raises(OSError):
        world.service.handle(event)

    world.service.handle(event)

    assert world.table.rows == {}
    assert len(world.line.delivered) == 1


def test_unfollowing_forgets_every_calendar_of_that_user_only() -> None:
    world = World()
    subscribe_row(world, PRIMARY)
    subscribe_row(world, WORK)
    world.table.rows[("Uother", "x")] = Subscription("Uother", "x", "X", True, START, None, True)

    result = world.service.handle(LineUserUnfollowed(user_id=USER, webhook_event_id="01HX"))

    assert result.outcome is Outcome.FORGOTTEN
    assert list(world.table.rows) == [("Uother", "x")]
    assert world.line.delivered == []
