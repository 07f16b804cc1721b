"""Linked users for the local stack, without a browser: Google sandbox accounts with
calendars, their grants stored as the OAuth callback would, their subscriptions and
notification settings. For tests, benchmarks and trying the notifications by hand.

NOTE: this writes other services' tables (OAuthTokens, UserCalendars) directly, as their
owners would after a real link and subscribe; it is a local tool, never used on AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from linecal.target import StackTarget
from services.notification.adapters.user_settings import UserSettingsTable
from services.notification.domain.preferences import NotificationPreferences, digest_minute
from shared.repositories.oauth_tokens import OAuthTokens


@dataclass(frozen=True)
class SandboxCalendar:
    calendar_id: str
    name: str
    events: list[dict[str, Any]] = field(default_factory=list)
    access_role: str = "owner"
    time_zone: str = "Asia/Tokyo"


@dataclass(frozen=True)
class LinkedUser:
    user_id: str
    email: str
    calendars: Sequence[SandboxCalendar]
    preferences: NotificationPreferences = field(default_factory=NotificationPreferences)


def add_google_accounts(base_url: str, users: Iterable[LinkedUser]) -> None:
    """Add (or replace) the users' Google accounts in the sandbox, keeping the others."""
    sandbox = f"{base_url.rstrip('/')}/sandbox/google"
    data = _ok(requests.get(f"{sandbox}/sandbox-data", timeout=30)).json()
    for user in users:
        data["accounts"][user.email] = {
            "calendarList": [
                {
                    "kind": "calendar#calendarListEntry",
                    "id": calendar.calendar_id,
                    "summary": calendar.name,
                    "timeZone": calendar.time_zone,
                    "accessRole": calendar.access_role,
                    "primary": index == 0,
                }
                for index, calendar in enumerate(user.calendars)
            ],
            "events": {c.calendar_id: c.events for c in user.calendars},
        }
    _ok(requests.put(f"{sandbox}/sandbox-data", json=data, timeout=60))


def add_event(base_url: str, email: str, calendar_id: str, event: dict[str, Any]) -> None:
    """Add or change one event, as if the user edited their calendar."""
    url = (
        f"{base_url.rstrip('/')}/sandbox/google/sandbox-data/accounts/{quote(email)}"
        f"/calendars/{quote(calendar_id, safe='')}/events"
    )
    _ok(requests.post(url, json=event, timeout=10))


def link_users(
    target: StackTarget, users: Iterable[LinkedUser], now: datetime, with_settings: bool = True
) -> None:
    """Store each user's grant and subscriptions, and (unless told not to) their
    notification settings, in the stack's tables."""
    assert target.base_url is not None, "linking users needs a local stack"
    dynamodb = target.client("dynamodb")
    tokens = OAuthTokens(
        target.resource("OAuthTokensTable"),
        target.resource("TokenKey"),
        dynamodb=dynamodb,
        kms=target.client("kms"),
        actor="linecal-local",
    )
    settings = UserSettingsTable(target.resource("UserSettingsTable"), dynamodb)
    calendars_table = target.resource("UserCalendarsTable")
    for user in users:
        grant = _ok(
            requests.post(
                f"{target.base_url}/sandbox/google/accounts/{quote(user.email)}/grants",
                json={},
                timeout=10,
            )
        ).json()
        tokens.store(user.user_id, grant["refresh_token"])
        for index, calendar in enumerate(user.calendars):
            dynamodb.put_item(
                TableName=calendars_table,
                Item={
                    "userId": {"S": user.user_id},
                    "calendarId": {"S": calendar.calendar_id},
                    "calendarName": {"S": calendar.name},
                    "isPrimary": {"BOOL": index == 0},
                },
            )
        if with_settings:
            settings.save_preferences(
                user.user_id, user.preferences, digest_minute(user.preferences, now)
            )


def _ok(answer: requests.Response) -> requests.Response:
    answer.raise_for_status()
    return answer
