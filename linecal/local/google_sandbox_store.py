"""The Google sandbox's calendar data, with the change tracking behind sync and page tokens.

No HTTP here: `sandbox_google` turns requests into calls on `CalendarStore` and its page
bodies into responses. Not thread-safe by itself; the sandbox holds its lock around calls.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from linecal.local.google_sandbox_calendar import Event, format_rfc3339_utc, parse_recurrence

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class SyncPoint:
    """Where a sync token resumes: changes to this calendar after `revision`."""

    email: str
    calendar_id: str
    revision: int


@dataclass(frozen=True)
class Listing:
    """One list call's full answer, fixed at its first page so later pages stay consistent."""

    email: str
    calendar_id: str | None
    items: list[JsonObject]
    page_size: int
    empty_pages_between: int
    envelope: JsonObject
    resume_from: SyncPoint | None


@dataclass(frozen=True)
class _PageCursor:
    # NOTE: immutable, so a client retrying a page token after a 5xx gets the same page.
    listing: Listing
    offset: int
    empty_pages_due: int


class CalendarStore:
    """Accounts, calendar lists and events in Google's shapes, plus sync and page tokens."""

    def __init__(self, data: JsonObject, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.revision = 0
        self._data: JsonObject = {"accounts": {}}
        self._event_revisions: dict[tuple[str, str, str], int] = {}
        self._sync_points: dict[str, SyncPoint] = {}
        self._cursors: dict[str, _PageCursor] = {}
        self.load(data)

    def load(self, data: JsonObject) -> None:
        """Replace every account (ValueError if not in Google's shape); old tokens die."""
        self._data = validated_data(data)
        self.revision += 1
        self._event_revisions.clear()
        self._cursors.clear()
        self.invalidate_sync_tokens()

    def snapshot(self) -> JsonObject:
        return copy.deepcopy(self._data)

    def emails(self) -> list[str]:
        return list(self._data["accounts"])

    def calendar_list(self, email: str) -> list[JsonObject]:
        return copy.deepcopy(self._account(email).get("calendarList", []))

    def calendar_entry(self, email: str, calendar_id: str) -> JsonObject | None:
        """The list entry for an id, or for the account's primary calendar given `primary`."""
        for entry in self._account(email).get("calendarList", []):
            if entry["id"] == calendar_id or (calendar_id == "primary" and entry.get("primary")):
                return dict(entry)
        return None

    def events(self, email: str, calendar_id: str) -> list[Event]:
        stored: list[Event] = self._account(email).get("events", {}).get(calendar_id, [])
        return stored

    def changed_since(self, sync_token: str, email: str, calendar_id: str) -> list[Event] | None:
        """Events changed since the token was issued; None when the token is no longer valid."""
        since = self._sync_points.get(sync_token)
        if since is None or (since.email, since.calendar_id) != (email, calendar_id):
            return None
        return [
            event
            for event in self.events(email, calendar_id)
            # NOTE: events loaded with the data carry revision 0, older than any sync token.
            if self._event_revisions.get((email, calendar_id, event["id"]), 0) > since.revision
        ]

    def sync_point(self, email: str, calendar_id: str) -> SyncPoint:
        return SyncPoint(email, calendar_id, self.revision)

    def invalidate_sync_tokens(self) -> None:
        self._sync_points.clear()

    def put_event(self, email: str, calendar_id: str, event: Event) -> Event:
        """Add or replace by id, stamping `updated`; LookupError for an unknown calendar."""
        account = self._data["accounts"].get(email)
        if account is None or not any(e["id"] == calendar_id for e in account["calendarList"]):
            raise LookupError(f"no calendar {calendar_id!r} for account {email!r}")
        check_event(event)
        self.revision += 1
        now = format_rfc3339_utc(datetime.fromtimestamp(self._clock(), UTC))
        stored = {"kind": "calendar#event", "status": "confirmed", "created": now, **event}
        stored.update(updated=now, etag=f'"{self.revision}"')
        events = account.setdefault("events", {}).setdefault(calendar_id, [])
        index = next((i for i, e in enumerate(events) if e["id"] == stored["id"]), None)
        if index is None:
            events.append(stored)
        else:
            events[index] = stored
        self._event_revisions[(email, calendar_id, stored["id"])] = self.revision
        return copy.deepcopy(stored)

    def cancel_event(self, email: str, calendar_id: str, event_id: str) -> Event:
        """Mark an event cancelled, as a deletion shows up in Google's sync feed."""
        stored = next((e for e in self.events(email, calendar_id) if e["id"] == event_id), None)
        if stored is None:
            raise LookupError(f"no event {event_id!r} in {calendar_id!r}")
        return self.put_event(email, calendar_id, {**stored, "status": "cancelled"})

    def first_page(self, listing: Listing) -> JsonObject:
        return self._page(_PageCursor(listing, 0, 0))

    def next_page(self, page_token: str, email: str, calendar_id: str | None) -> JsonObject | None:
        """The page a token points at; None if unknown or issued for another list."""
        cursor = self._cursors.get(page_token)
        if cursor is None or (cursor.listing.email, cursor.listing.calendar_id) != (
            email,
            calendar_id,
        ):
            return None
        return self._page(cursor)

    def _page(self, cursor: _PageCursor) -> JsonObject:
        listing = cursor.listing
        if cursor.empty_pages_due > 0:
            following = _PageCursor(listing, cursor.offset, cursor.empty_pages_due - 1)
            return {**listing.envelope, "nextPageToken": self._remember(following), "items": []}
        end = cursor.offset + listing.page_size
        body = {**listing.envelope, "items": listing.items[cursor.offset : end]}
        if end < len(listing.items):
            following = _PageCursor(listing, end, listing.empty_pages_between)
            body["nextPageToken"] = self._remember(following)
        else:
            body["nextSyncToken"] = self._issue_sync_token(listing.resume_from)
        return body

    def _remember(self, cursor: _PageCursor) -> str:
        token = secrets.token_urlsafe(24)
        self._cursors[token] = cursor
        return token

    def _issue_sync_token(self, resume_from: SyncPoint | None) -> str:
        token = "CPD" + secrets.token_urlsafe(24)
        if resume_from is not None:
            self._sync_points[token] = resume_from
        return token

    def _account(self, email: str) -> JsonObject:
        account: JsonObject = self._data["accounts"].get(email, {})
        return account


def validated_data(data: JsonObject) -> JsonObject:
    """A deep copy of sandbox data, or ValueError naming what is not in Google's shape."""
    accounts = data.get("accounts") if isinstance(data, dict) else None
    if not isinstance(accounts, dict):
        raise ValueError('data needs an "accounts" object keyed by email')
    for email, account in accounts.items():
        entries = account.get("calendarList") if isinstance(account, dict) else None
        if not isinstance(entries, list) or not all(_has_id(e) for e in entries):
            raise ValueError(f"{email}: calendarList must be a list of entries with an id")
        for entry in entries:
            try:
                ZoneInfo(entry.get("timeZone", "UTC"))
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(f"{email}: bad timeZone in {entry['id']}") from error
        known = {entry["id"] for entry in entries}
        for calendar_id, events in account.get("events", {}).items():
            if calendar_id not in known or not isinstance(events, list):
                raise ValueError(f"{email}: events for {calendar_id!r} not in its calendarList")
            for event in events:
                check_event(event)
    return copy.deepcopy(data)


def check_event(event: object) -> None:
    """ValueError unless the event has an id, a start and a recurrence the sandbox expands."""
    if not _has_id(event) or not isinstance(event.get("start"), dict):
        raise ValueError(f"an event needs an id and a start: {event!r}")
    if "recurrence" in event:
        parse_recurrence(event["recurrence"])


def _has_id(value: object) -> TypeGuard[JsonObject]:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and bool(value["id"])
