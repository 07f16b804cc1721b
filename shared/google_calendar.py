"""Adapter: the Google Calendar API v3 for one user's grant (google-api-python-client).

SDK errors become our own exceptions so callers decide: retry later (rate limits, 5xx),
tell the user (not found, no access), ask them to link again (revoked grant), or sync
afresh (stale sync token).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google.oauth2.credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from shared.config import GoogleSettings

CALENDAR_READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"

# googleapiclient retries 429, 5xx and rate-limit 403s itself, with exponential backoff
# and jitter; past these attempts the work is left for SQS to redeliver.
DEFAULT_RETRIES = 3


class GoogleError(RuntimeError):
    """Google refused or failed a call. Carries the status and reason, never a token."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"Google answered {status} ({reason})")


class GoogleRateLimited(GoogleError):
    """429, or 403 with a rate-limit reason: try again later."""


class GoogleUnavailable(GoogleError):
    """5xx: try again later."""


class CalendarNotFound(GoogleError):
    """404: the calendar does not exist for this user."""


class CalendarAccessDenied(GoogleError):
    """403 for any reason but rate limits: the user cannot read this calendar."""


class SyncTokenExpired(GoogleError):
    """410: the calendar's sync token is stale; a full sync is needed."""


class GrantRevoked(GoogleError):
    """The refresh token was refused (`invalid_grant`): the user must link again."""


_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}


@dataclass(frozen=True)
class CalendarListEntry:
    calendar_id: str
    summary: str
    primary: bool
    access_role: str
    time_zone: str | None


def _reason_of(error: HttpError) -> str:
    try:
        body = json.loads(error.content.decode("utf-8"))
        errors = body.get("error", {}).get("errors") or [{}]
        return str(errors[0].get("reason") or body.get("error", {}).get("status") or "")
    except (ValueError, AttributeError):
        return ""


def error_from_http(error: HttpError) -> GoogleError:
    status = int(error.resp.status)
    reason = _reason_of(error)
    if status == 429 or (status == 403 and reason in _RATE_LIMIT_REASONS):
        return GoogleRateLimited(status, reason)
    if status >= 500:
        return GoogleUnavailable(status, reason)
    if status == 404:
        return CalendarNotFound(status, reason)
    if status == 403:
        return CalendarAccessDenied(status, reason)
    if status == 410:
        return SyncTokenExpired(status, reason)
    if status == 401:
        return GrantRevoked(status, reason or "unauthorized")
    return GoogleError(status, reason)


def _error_from_refresh(error: google.auth.exceptions.RefreshError) -> GoogleError:
    # google-auth puts the token endpoint's JSON answer in args[1] when there is one.
    details = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], dict) else {}
    reason = str(details.get("error", ""))
    if reason == "invalid_grant" or "invalid_grant" in str(error.args[0] if error.args else ""):
        return GrantRevoked(400, "invalid_grant")
    if getattr(error, "retryable", False):
        return GoogleUnavailable(503, reason or "token endpoint")
    return GoogleError(400, reason or "token refresh failed")


class GoogleCalendar:
    """Read-only calls to Google Calendar as one user, through their refresh token."""

    def __init__(
        self,
        settings: GoogleSettings,
        refresh_token: str,
        retries: int = DEFAULT_RETRIES,
        service: Any | None = None,
    ) -> None:
        self._retries = retries
        if service is None:
            credentials = google.oauth2.credentials.Credentials(  # type: ignore[no-untyped-call]
                token=None,
                refresh_token=refresh_token,
                token_uri=settings.google_token_uri,
                client_id=settings.google_client_id,
                client_secret=settings.client_secret(),
                scopes=[CALENDAR_READONLY_SCOPE],
            )
            options = (
                {"api_endpoint": settings.google_api_base_url}
                if settings.google_api_base_url
                else None
            )
            service = build(
                "calendar",
                "v3",
                credentials=credentials,
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
            )
        self._service = service

    def _execute(self, request: Any) -> dict[str, Any]:
        try:
            return dict(request.execute(num_retries=self._retries))
        except HttpError as exc:
            raise error_from_http(exc) from None
        except google.auth.exceptions.RefreshError as exc:
            raise _error_from_refresh(exc) from None
        except google.auth.exceptions.TransportError as exc:
            raise GoogleUnavailable(503, type(exc).__name__) from None

    def calendar_list(self) -> list[CalendarListEntry]:
        """Every calendar in the user's list, all pages read."""
        entries: list[CalendarListEntry] = []
        page_token: str | None = None
        while True:
            page = self._execute(
                self._service.calendarList().list(maxResults=250, pageToken=page_token)
            )
            entries.extend(
                CalendarListEntry(
                    calendar_id=item["id"],
                    summary=item.get("summaryOverride") or item.get("summary") or item["id"],
                    primary=bool(item.get("primary", False)),
                    access_role=item.get("accessRole", "reader"),
                    time_zone=item.get("timeZone"),
                )
                for item in page.get("items", [])
            )
            page_token = page.get("nextPageToken")
            if not page_token:
                return entries

    def events_page(
        self,
        calendar_id: str,
        *,
        time_min: str | None = None,
        time_max: str | None = None,
        sync_token: str | None = None,
        page_token: str | None = None,
        max_results: int = 250,
    ) -> dict[str, Any]:
        """One page of `events.list`, recurring events expanded into instances.

        Pass either a window (`time_min`/`time_max`, RFC 3339) or a `sync_token`, never
        both: Google refuses the combination.
        """
        arguments: dict[str, Any] = {
            "calendarId": calendar_id,
            "singleEvents": True,
            "maxResults": max_results,
            "pageToken": page_token,
        }
        if sync_token:
            arguments["syncToken"] = sync_token
        else:
            arguments.update(timeMin=time_min, timeMax=time_max, showDeleted=False)
        return self._execute(self._service.events().list(**arguments))
