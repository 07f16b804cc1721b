"""How the subscription service reads a user's Google calendar list, and Google's errors."""

from __future__ import annotations

import pytest

from services.subscription.domain.subscriptions import (
    AccessRevoked,
    CalendarsUnreadable,
    LiveCalendar,
    NotLinked,
)
from services.subscription.google_calendars import GoogleCalendarDirectory
from shared.config import GoogleSettings
from shared.google_calendar import (
    CalendarAccessDenied,
    CalendarListEntry,
    CalendarNotFound,
    GoogleRateLimited,
    GoogleUnavailable,
    GrantRevoked,
)
from shared.repositories.oauth_tokens import GoogleGrant

USER = "U0c1d2e3f405162738495a6b7c8d9e0f1"
ENTRIES = [
    CalendarListEntry("me@example.com", "me@example.com", True, "owner", "Asia/Tokyo"),
    CalendarListEntry("team@group.calendar.google.com", "Team", False, "reader", None),
    CalendarListEntry("boss@example.com", "Boss", False, "freeBusyReader", None),
]


class Grants:
    def __init__(self, grant: GoogleGrant | None) -> None:
        self._grant = grant

    def load(self, user_id: str) -> GoogleGrant | None:
        return self._grant


class CalendarList:
    def __init__(self, error: Exception | None = None) -> None:
        self._error = error

    def calendar_list(self) -> list[CalendarListEntry]:
        if self._error is not None:
            raise self._error
        return ENTRIES


def directory(
    status: str | None = "linked", error: Exception | None = None
) -> GoogleCalendarDirectory:
    grant = None if status is None else GoogleGrant(USER, "1//token", status, "2026-01-01")

    def calendar_for(token: str) -> CalendarList:
        return CalendarList(error)

    return GoogleCalendarDirectory(GoogleSettings(), Grants(grant), calendar_for)


def test_the_live_list_offers_every_calendar_free_busy_ones_included() -> None:
    # A free/busy-only calendar notifies as 予定あり / Busy, so it can be subscribed too.
    assert directory().calendars_of(USER) == [
        LiveCalendar("me@example.com", "me@example.com", is_primary=True, readable=True),
        LiveCalendar("team@group.calendar.google.com", "Team", is_primary=False, readable=True),
        LiveCalendar("boss@example.com", "Boss", is_primary=False, readable=True),
    ]


@pytest.mark.parametrize("status", [None, "revoked"])
def test_a_user_without_a_usable_link_is_not_linked(status: str | None) -> None:
    with pytest.raises(NotLinked):
        directory(status=status).calendars_of(USER)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (GrantRevoked(400, "invalid_grant"), AccessRevoked),
        (CalendarNotFound(404, "notFound"), CalendarsUnreadable),
        (CalendarAccessDenied(403, "forbidden"), CalendarsUnreadable),
        # Worth retrying: left as they are, for SQS to redeliver.
        (GoogleRateLimited(429, "rateLimitExceeded"), GoogleRateLimited),
        (GoogleRateLimited(403, "userRateLimitExceeded"), GoogleRateLimited),
        (GoogleUnavailable(503, "backendError"), GoogleUnavailable),
    ],
)
def test_google_errors_become_final_or_stay_retryable(
    error: Exception, expected: type[Exception]
) -> None:
    with pytest.raises(expected):
        directory(error=error).calendars_of(USER)
