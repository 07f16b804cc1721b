"""The user's Google link: its state from OAuthTokensTable, and Google Calendar as them."""

from __future__ import annotations

from services.notification.ports import CalendarSource, LinkState
from shared.config import GoogleSettings
from shared.google_calendar import GoogleCalendar
from shared.repositories.oauth_tokens import REVOKED, OAuthTokens


class GoogleAccountLinks:
    def __init__(self, tokens: OAuthTokens, settings: GoogleSettings, retries: int = 3) -> None:
        self._tokens = tokens
        self._settings = settings
        self._retries = retries

    def state(self, user_id: str) -> LinkState | None:
        status = self._tokens.status(user_id)
        if status is None:
            return None
        return LinkState(status.status, status.linked_at)

    def open(self, user_id: str) -> CalendarSource | None:
        grant = self._tokens.load(user_id)
        if grant is None or grant.status == REVOKED:
            return None
        return GoogleCalendar(self._settings, grant.refresh_token, retries=self._retries)
