"""Adapters: a user's Google account as the command service sees it, through their grant.

Listing their calendars (for the add menu) and withdrawing the grant when they leave.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from aws_lambda_powertools import Logger

from services.command.domain.ports import CalendarOption, GoogleCalendarsUnavailable
from shared.config import GoogleSettings
from shared.google_calendar import GoogleCalendar, GoogleError, GrantRevoked
from shared.observability import hash_user_id
from shared.repositories.oauth_tokens import LINKED, OAuthTokens

logger = Logger(service="command", child=True)


CalendarFactory = Callable[[GoogleSettings, str], GoogleCalendar]


class GoogleRevokeFailed(RuntimeError):
    """Google's revoke endpoint could not be reached or failed; worth retrying."""


class LinkedGoogleCalendars:
    """The user's readable Google calendars, or None when they have no working link."""

    def __init__(
        self,
        tokens: OAuthTokens,
        settings: GoogleSettings,
        calendar_for: CalendarFactory = GoogleCalendar,
        on_revoked: Callable[[str], None] = lambda user_id: None,
    ) -> None:
        self._tokens = tokens
        self._settings = settings
        self._calendar_for = calendar_for
        self._on_revoked = on_revoked

    def calendars_of(self, user_id: str) -> list[CalendarOption] | None:
        grant = self._tokens.load(user_id)
        if grant is None or grant.status != LINKED:
            return None
        try:
            entries = self._calendar_for(self._settings, grant.refresh_token).calendar_list()
        except GrantRevoked:
            # The other services learn of it through GoogleAccessRevoked; this user is
            # asked to link again by the answer itself.
            self._on_revoked(user_id)
            return None
        except GoogleError as exc:
            raise GoogleCalendarsUnavailable(f"{exc.status} {exc.reason}") from exc
        return [
            CalendarOption(e.calendar_id, e.summary, e.primary)
            for e in entries
        ]


class RevocableGoogleGrants:
    """Withdraws a user's grant at Google's revoke endpoint, then forgets their tokens."""

    def __init__(self, tokens: OAuthTokens, revoke_uri: str, timeout_seconds: float = 10) -> None:
        self._tokens = tokens
        self._revoke_uri = revoke_uri
        self._timeout = timeout_seconds

    def revoke(self, user_id: str) -> None:
        grant = self._tokens.load(user_id)
        if grant is None:
            return
        request = urllib.request.Request(
            self._revoke_uri,
            data=urllib.parse.urlencode({"token": grant.refresh_token}).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise GoogleRevokeFailed(f"revoke answered {exc.code}") from None
            # 400 invalid_token: the user already withdrew it at Google; nothing to undo.
            logger.info("grant already invalid", user=hash_user_id(user_id), status=exc.code)
            return
        except urllib.error.URLError as exc:
            raise GoogleRevokeFailed(type(exc.reason).__name__) from None
        logger.info("grant revoked", user=hash_user_id(user_id))

    def forget(self, user_id: str) -> None:
        self._tokens.delete(user_id)
