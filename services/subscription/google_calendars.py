"""Adapter: a user's live Google calendar list, read with their stored refresh token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from services.subscription.domain.subscriptions import (
    AccessRevoked,
    CalendarsUnreadable,
    LiveCalendar,
    NotLinked,
)
from shared.config import GoogleSettings
from shared.google_calendar import (
    CalendarAccessDenied,
    CalendarListEntry,
    CalendarNotFound,
    GoogleCalendar,
    GrantRevoked,
)
from shared.repositories.oauth_tokens import LINKED, GoogleGrant

# Roles a user can be notified from; "freeBusyReader" sees only busy blocks, which the
# notification service shows as 予定あり / Busy.
_READABLE_ROLES = frozenset({"owner", "writer", "reader", "freeBusyReader"})


class GrantSource(Protocol):
    def load(self, user_id: str) -> GoogleGrant | None: ...


class CalendarListSource(Protocol):
    def calendar_list(self) -> list[CalendarListEntry]: ...


class GoogleCalendarDirectory:
    """The subscription service's `LiveCalendars`, through Google Calendar v3."""

    def __init__(
        self,
        settings: GoogleSettings,
        grants: GrantSource,
        calendar_for: Callable[[str], CalendarListSource] | None = None,
    ) -> None:
        self._grants = grants
        self._calendar_for = calendar_for or (lambda token: GoogleCalendar(settings, token))

    def calendars_of(self, user_id: str) -> list[LiveCalendar]:
        grant = self._grants.load(user_id)
        if grant is None or grant.status != LINKED:
            raise NotLinked()
        try:
            entries = self._calendar_for(grant.refresh_token).calendar_list()
        except GrantRevoked:
            raise AccessRevoked() from None
        except (CalendarNotFound, CalendarAccessDenied) as exc:
            raise CalendarsUnreadable(exc.reason) from None
        return [
            LiveCalendar(
                calendar_id=entry.calendar_id,
                name=entry.summary,
                is_primary=entry.primary,
                readable=entry.access_role in _READABLE_ROLES,
            )
            for entry in entries
        ]
