"""A user's subscription to one of their Google calendars, as every service sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# How many calendars one user may be notified from.
MAX_CALENDARS_PER_USER = 20


@dataclass(frozen=True)
class SubscribedCalendar:
    calendar_id: str
    name: str
    is_primary: bool


class SubscribedCalendars(Protocol):
    """Read access to the calendars a user is notified from."""

    def for_user(self, user_id: str) -> list[SubscribedCalendar]:
        """The user's subscribed calendars, primary first."""
        ...
