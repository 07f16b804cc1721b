"""Which calendars notify a user: subscribing, unsubscribing and forgetting them.

Every decision here is safe to repeat. A row records the event that created it and
whether the user has been told; a retry of that same event finishes the telling, and
any other copy finds the row and changes nothing. Pushes carry a retry key derived from
the change, so LINE delivers a resent confirmation once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from services.subscription.domain import replies
from services.subscription.domain.replies import RejectionReason
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
    UserEvent,
    UserNeedsDefaultCalendar,
)
from shared.messages import OutgoingMessage, retry_key_for
from shared.subscriptions import MAX_CALENDARS_PER_USER

# --- ports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveCalendar:
    """A calendar in the user's Google calendar list right now."""

    calendar_id: str
    name: str
    is_primary: bool
    readable: bool


class NotLinked(Exception):
    """The user has no usable Google link (never linked, or known to be revoked)."""


class AccessRevoked(Exception):
    """Google refused the user's grant (`invalid_grant`)."""


class CalendarsUnreadable(Exception):
    """Google answered that the list cannot be read (404 or permission): final."""


class LiveCalendars(Protocol):
    def calendars_of(self, user_id: str) -> list[LiveCalendar]:
        """The user's calendar list.

        Raises NotLinked, AccessRevoked or CalendarsUnreadable; errors worth retrying
        (rate limits, 5xx) propagate unchanged.
        """
        ...


@dataclass(frozen=True)
class Subscription:
    user_id: str
    calendar_id: str
    name: str
    is_primary: bool
    subscribed_at: datetime
    subscribed_by: str | None
    confirmed: bool


class SubscriptionStore(Protocol):
    """UserCalendarsTable: one row per user and calendar."""

    def find(self, user_id: str, calendar_id: str) -> Subscription | None: ...

    def count(self, user_id: str) -> int: ...

    def add(self, subscription: Subscription) -> bool:
        """Write the row unless one exists for this calendar; True if written."""
        ...

    def mark_confirmed(self, user_id: str, calendar_id: str) -> None: ...

    def remove(self, user_id: str, calendar_id: str, subscribed_at: datetime) -> bool:
        """Delete the row if it is still the one subscribed at that moment."""
        ...

    def remove_all(self, user_id: str) -> int: ...


class EventSink(Protocol):
    def publish(self, *events: DomainEvent) -> None: ...


class UserNotices(Protocol):
    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None: ...


# --- decisions -------------------------------------------------------------------------


class Outcome(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    REJECTED = "rejected"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REVOKED = "revoked"
    FORGOTTEN = "forgotten"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    reason: str | None = None


class Subscriptions:
    """The subscription service's decisions, over its ports."""

    def __init__(
        self,
        store: SubscriptionStore,
        google: LiveCalendars,
        events: EventSink,
        notices: UserNotices,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._google = google
        self._events = events
        self._notices = notices
        self._now = now

    def handle(self, event: DomainEvent, *, replayed: bool = False) -> Result:
        """Act on one event from the subscription queue."""
        if isinstance(event, GoogleAccountLinked | UserNeedsDefaultCalendar):
            return self.subscribe_primary(event)
        if isinstance(event, CalendarSubscriptionRequested):
            return self.subscribe(event, replayed=replayed)
        if isinstance(event, CalendarUnsubscriptionRequested):
            return self.unsubscribe(event)
        if isinstance(event, LineUserUnfollowed):
            removed = self._store.remove_all(event.user_id)
            return Result(Outcome.FORGOTTEN, f"{removed} removed")
        return Result(Outcome.IGNORED, event.detail_type())

    def subscribe_primary(self, event: UserEvent) -> Result:
        """Subscribe the user's primary calendar unless it already is."""
        try:
            calendars = self._google.calendars_of(event.user_id)
        except NotLinked:
            return Result(Outcome.SKIPPED, "not_linked")
        except AccessRevoked:
            return self._revoked(event)
        except CalendarsUnreadable:
            return Result(Outcome.SKIPPED, "calendar_list_unreadable")

        primary = next((c for c in calendars if c.is_primary), None)
        if primary is None:
            return Result(Outcome.SKIPPED, "no_primary_calendar")
        existing = self._store.find(event.user_id, primary.calendar_id)
        if existing is None and self._store.count(event.user_id) >= MAX_CALENDARS_PER_USER:
            return Result(Outcome.SKIPPED, "limit_reached")
        return self._add(event, primary, existing)

    def subscribe(self, event: CalendarSubscriptionRequested, *, replayed: bool) -> Result:
        """Subscribe a calendar the user asked for, if Google lets them read it."""
        existing = self._store.find(event.user_id, event.calendar_id)
        if existing is not None:
            # Already there: either another event's doing, or this one's being finished.
            return self._confirm(event, existing)

        try:
            calendars = self._google.calendars_of(event.user_id)
        except NotLinked:
            return self._reject(event, "not_linked", replayed)
        except AccessRevoked:
            return self._revoked(event)
        except CalendarsUnreadable:
            return self._reject(event, "no_access", replayed)

        wanted = next((c for c in calendars if c.calendar_id == event.calendar_id), None)
        if wanted is None:
            return self._reject(event, "unknown_calendar", replayed)
        if not wanted.readable:
            return self._reject(event, "no_access", replayed)
        if self._store.count(event.user_id) >= MAX_CALENDARS_PER_USER:
            return self._reject(event, "limit_reached", replayed)
        return self._add(event, wanted, None)

    def unsubscribe(self, event: CalendarUnsubscriptionRequested) -> Result:
        """Stop notifying from a calendar; Google is not asked, so lost access is no bar."""
        row = self._store.find(event.user_id, event.calendar_id)
        if row is None:
            return Result(Outcome.UNCHANGED, "not_subscribed")
        if row.subscribed_at > event.occurred_at:
            # Subscribed again after this request was made: a late copy must not undo it.
            return Result(Outcome.UNCHANGED, "subscribed_since")

        # Told before the delete, keyed on the row: a retry after a failure in between
        # finds the same row and sends nothing new.
        self._events.publish(
            CalendarUnsubscribed(
                user_id=event.user_id,
                calendar_id=event.calendar_id,
                correlation_id=event.event_id,
            )
        )
        self._notices.push(
            event.user_id,
            [OutgoingMessage(replies.unsubscribed(row.name))],
            retry_key_for(
                "unsubscribed", event.user_id, row.calendar_id, row.subscribed_at.isoformat()
            ),
        )
        self._store.remove(event.user_id, event.calendar_id, row.subscribed_at)
        return Result(Outcome.UNSUBSCRIBED)

    def _add(
        self, event: UserEvent, calendar: LiveCalendar, existing: Subscription | None
    ) -> Result:
        row = existing
        if row is None:
            candidate = Subscription(
                user_id=event.user_id,
                calendar_id=calendar.calendar_id,
                name=calendar.name,
                is_primary=calendar.is_primary,
                subscribed_at=self._now(),
                subscribed_by=event.event_id,
                confirmed=False,
            )
            written = self._store.add(candidate)
            row = candidate if written else self._store.find(event.user_id, calendar.calendar_id)
            if row is None:
                # Added and removed by others in between: nothing of ours to confirm.
                return Result(Outcome.UNCHANGED, "raced")
        return self._confirm(event, row)

    def _confirm(self, event: UserEvent, row: Subscription) -> Result:
        if row.confirmed or row.subscribed_by != event.event_id:
            return Result(Outcome.UNCHANGED, "already_subscribed")

        self._events.publish(
            CalendarSubscribed(
                user_id=row.user_id,
                calendar_id=row.calendar_id,
                calendar_name=row.name,
                is_primary=row.is_primary,
                correlation_id=event.event_id,
            )
        )
        change = (row.user_id, row.calendar_id, row.subscribed_at.isoformat())
        self._notices.push(
            row.user_id,
            [OutgoingMessage(replies.subscribed(row.name, row.is_primary))],
            retry_key_for("subscribed", *change),
        )
        self._store.mark_confirmed(row.user_id, row.calendar_id)
        return Result(Outcome.SUBSCRIBED)

    def _reject(
        self, event: CalendarSubscriptionRequested, reason: RejectionReason, replayed: bool
    ) -> Result:
        self._events.publish(
            CalendarSubscriptionRejected(
                user_id=event.user_id,
                calendar_id=event.calendar_id,
                reason=reason,
                correlation_id=event.event_id,
            )
        )
        if not replayed:
            # A replay re-decides, but the user heard this answer when it was first given.
            self._notices.push(
                event.user_id,
                [OutgoingMessage(replies.REJECTED[reason])],
                retry_key_for("rejected", event.event_id),
            )
        return Result(Outcome.REJECTED, reason)

    def _revoked(self, event: UserEvent) -> Result:
        # The command service marks the link and asks the user, once, to link again.
        self._events.publish(
            GoogleAccessRevoked(user_id=event.user_id, correlation_id=event.event_id)
        )
        return Result(Outcome.REVOKED, "invalid_grant")
