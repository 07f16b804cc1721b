"""A local stand-in for Google OAuth2 and Calendar v3 that speaks Google's wire format.

google-auth, google-auth-oauthlib and google-api-python-client talk to it unchanged: point
`token_uri`/`auth_uri` and the client's `api_endpoint` at the prefix this app is mounted
under. Sandbox-only doors (`/sandbox-data`, `/faults`, `/sync-tokens/invalidate`,
`/accounts/{email}/...`, `/settings`, `/stats`, `/reset`) let tests shape the data and the
failures. Event rules live in `google_sandbox_calendar`, OAuth in `google_sandbox_oauth`,
error bodies in `google_sandbox_errors`.
"""

from __future__ import annotations

import copy
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlencode
from wsgiref.types import StartResponse, WSGIEnvironment
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from linecal.local import google_sandbox_errors as errors
from linecal.local.google_sandbox_calendar import (
    Event,
    EventQuery,
    format_rfc3339_utc,
    parse_recurrence,
    parse_rfc3339,
    render_relative_dates,
    select_events,
)
from linecal.local.google_sandbox_oauth import CALENDAR_READONLY_SCOPE, OAuthError, TokenAuthority

JsonObject = dict[str, Any]
Handler = Callable[[Request, Mapping[str, Any]], Response]

DEMO_TIME_ZONE = ZoneInfo("Asia/Tokyo")
CALENDAR_SCOPE_PREFIX = "https://www.googleapis.com/auth/calendar"
CALENDAR_LIST_PAGE_LIMITS = (100, 250)  # (default, maximum) maxResults, as Google's
EVENTS_PAGE_LIMITS = (250, 2500)
# Google refuses these next to a syncToken, so a client that sends them would break in production.
PARAMS_EXCLUDED_BY_SYNC_TOKEN = ("timeMin", "timeMax", "orderBy", "q", "iCalUID", "updatedMin")
FAULTABLE_ENDPOINTS = ("events", "calendarList", "token")


def default_data_path() -> Path:
    """The demo account (demo@example.com) shipped beside this module."""
    return Path(__file__).with_name("demo_google_data.json")


@dataclass
class _Fault:
    status: int
    remaining: int
    body: JsonObject


@dataclass(frozen=True)
class _SyncPoint:
    email: str
    calendar_id: str
    revision: int


@dataclass(frozen=True)
class _Listing:
    """One list call's full answer, fixed at its first page so later pages stay consistent."""

    email: str
    calendar_id: str | None
    items: list[JsonObject]
    page_size: int
    empty_pages_between: int
    envelope: JsonObject
    resume_from: _SyncPoint | None


@dataclass(frozen=True)
class _PageCursor:
    # NOTE: immutable, so a client retrying a page token after a 5xx gets the same page.
    listing: _Listing
    offset: int
    empty_pages_due: int


@dataclass
class _Settings:
    events_page_size: int | None = None
    empty_pages_between: int = 0
    access_token_ttl_seconds: float = 3599.0


@dataclass
class _State:
    data: JsonObject
    authority: TokenAuthority
    settings: _Settings = field(default_factory=_Settings)
    revision: int = 0
    event_revisions: dict[tuple[str, str, str], int] = field(default_factory=dict)
    sync_points: dict[str, _SyncPoint] = field(default_factory=dict)
    cursors: dict[str, _PageCursor] = field(default_factory=dict)
    faults: dict[str, list[_Fault]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)


class GoogleSandbox:
    """Google OAuth2 + Calendar v3 stand-in; one instance is one isolated Google.

    `data` is `{"accounts": {EMAIL: {"calendarList": [entry...], "events": {ID: [event...]}}}}`
    in Google's own shapes; it is validated and copied.
    """

    def __init__(
        self,
        data: JsonObject,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._initial_data = validated_data(data)
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._url_map = Map(
            [
                Rule("/o/oauth2/auth", methods=["GET"], endpoint="authorize"),
                Rule("/o/oauth2/v2/auth", methods=["GET"], endpoint="authorize"),
                Rule("/token", methods=["POST"], endpoint="token"),
                Rule("/revoke", methods=["POST"], endpoint="revoke"),
                Rule("/users/me/calendarList", methods=["GET"], endpoint="calendarList"),
                Rule("/calendars/<path:calendar_id>/events", methods=["GET"], endpoint="events"),
                Rule("/sandbox-data", methods=["GET"], endpoint="get_data"),
                Rule("/sandbox-data", methods=["PUT"], endpoint="put_data"),
                Rule(
                    "/sandbox-data/accounts/<email>/calendars/<path:calendar_id>/events",
                    methods=["POST"],
                    endpoint="put_event",
                ),
                Rule(
                    "/sandbox-data/accounts/<email>/calendars/<path:calendar_id>/events/<event_id>",
                    methods=["DELETE"],
                    endpoint="cancel_event",
                ),
                Rule("/faults", methods=["POST"], endpoint="add_fault"),
                Rule("/faults", methods=["DELETE"], endpoint="clear_faults"),
                Rule("/sync-tokens/invalidate", methods=["POST"], endpoint="invalidate_sync"),
                Rule("/accounts/<email>/revoke", methods=["POST"], endpoint="revoke_account"),
                Rule("/accounts/<email>/grants", methods=["POST"], endpoint="grant"),
                Rule("/settings", methods=["POST"], endpoint="settings"),
                Rule("/stats", methods=["GET"], endpoint="stats"),
                Rule("/reset", methods=["POST"], endpoint="reset"),
            ]
        )
        self._handlers: dict[str, Handler] = {
            "authorize": self._on_authorize,
            "token": self._on_token,
            "revoke": self._on_revoke,
            "calendarList": self._on_calendar_list,
            "events": self._on_events,
            "get_data": self._on_get_data,
            "put_data": self._on_put_data,
            "put_event": self._on_put_event,
            "cancel_event": self._on_cancel_event,
            "add_fault": self._on_add_fault,
            "clear_faults": self._on_clear_faults,
            "invalidate_sync": self._on_invalidate_sync,
            "revoke_account": self._on_revoke_account,
            "grant": self._on_grant,
            "settings": self._on_settings,
            "stats": self._on_stats,
            "reset": self._on_reset,
        }
        self._start_afresh()

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.time,
        today: date | None = None,
    ) -> GoogleSandbox:
        """Load data from a JSON file; `{{today}}`/`{{today+N}}` placeholders become dates.

        `today` defaults to the clock's date in Asia/Tokyo, the demo calendars' zone.
        """
        today = today or datetime.fromtimestamp(clock(), DEMO_TIME_ZONE).date()
        text = render_relative_dates(Path(path).read_text(encoding="utf-8"), today)
        return cls(json.loads(text), client_id, client_secret, clock)

    default_data_path = staticmethod(default_data_path)

    # -- in-process doors, the same as the HTTP ones, for tests that hold the instance --

    def grant_offline_access(self, email: str, scope: str = CALENDAR_READONLY_SCOPE) -> JsonObject:
        """Token answer (with refresh_token) as if `email` had consented; skips the browser."""
        with self._lock:
            return self._state.authority.grant_offline_access(email, scope)

    def put_event(self, email: str, calendar_id: str, event: Event) -> Event:
        """Add or replace an event by id, stamping `updated` so sync tokens see the change."""
        with self._lock:
            return self._put_event(email, calendar_id, event)

    def replace_data(self, data: JsonObject) -> None:
        """Replace every account; existing sync tokens then answer 410."""
        with self._lock:
            self._load(validated_data(data))

    def invalidate_sync_tokens(self) -> None:
        with self._lock:
            self._state.sync_points.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._state.stats)

    # -- WSGI --

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self._dispatch(request)(environ, start_response)

    __call__ = wsgi_app

    def _dispatch(self, request: Request) -> Response:
        try:
            endpoint, args = self._url_map.bind_to_environ(request.environ).match()
        except HTTPException as error:
            status = error.code or 404
            return _json(errors.google_error(status, error.name, "notFound"), status)
        # NOTE: one lock around the whole call keeps each request atomic; every handler is
        # quick and never blocks, so serializing them costs nothing here.
        with self._lock:
            stats = self._state.stats
            stats[endpoint] = stats.get(endpoint, 0) + 1
            fault = self._take_fault(endpoint)
            if fault is not None:
                return _json(fault.body, fault.status)
            return self._handlers[endpoint](request, args)

    # -- OAuth2 --

    def _on_authorize(self, request: Request, args: Mapping[str, Any]) -> Response:
        params = request.args
        if params.get("client_id") != self._state.authority.client_id:
            return _html_error("Error 401: invalid_client", "The OAuth client was not found.")
        redirect_uri, scope = params.get("redirect_uri"), params.get("scope")
        if not redirect_uri or not scope:
            return _html_error("Error 400: invalid_request", "Missing redirect_uri or scope.")
        state = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", **state})
        if params.get("deny") == "1":
            return _redirect(redirect_uri, {"error": "access_denied", **state})
        method = params.get("code_challenge_method", "plain")
        if method not in ("S256", "plain"):
            return _html_error("Error 400: invalid_request", "Unsupported code_challenge_method.")
        accounts = list(self._state.data["accounts"])
        email = params.get("login_hint") or (accounts[0] if accounts else "")
        if email not in accounts:
            return _html_error("Error 400: unknown account", f"Known accounts: {accounts}")
        code = self._state.authority.issue_code(
            email,
            redirect_uri,
            scope,
            params.get("code_challenge"),
            method,
            offline=params.get("access_type") == "offline",
        )
        return _redirect(redirect_uri, {**state, "code": code, "scope": scope})

    def _on_token(self, request: Request, args: Mapping[str, Any]) -> Response:
        form, basic = request.form, request.authorization
        authority = self._state.authority
        try:
            if basic is not None and basic.type == "basic":
                authority.authenticate_client(basic.username, basic.password)
            else:
                authority.authenticate_client(form.get("client_id"), form.get("client_secret"))
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                answer = authority.exchange_code(
                    form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
                )
            elif grant_type == "refresh_token":
                answer = authority.refresh(form.get("refresh_token"), form.get("scope"))
            else:
                raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        except OAuthError as error:
            return _json(error.body, error.status)
        response = _json(answer, 200)
        response.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
        return response

    def _on_revoke(self, request: Request, args: Mapping[str, Any]) -> Response:
        try:
            self._state.authority.revoke_token(request.values.get("token"))
        except OAuthError as error:
            return _json(error.body, error.status)
        return _json({}, 200)

    # -- Calendar v3 --

    def _on_calendar_list(self, request: Request, args: Mapping[str, Any]) -> Response:
        email = self._authorized_email(request)
        if isinstance(email, Response):
            return email
        page_size = _max_results(request, CALENDAR_LIST_PAGE_LIMITS)
        if isinstance(page_size, Response):
            return page_size
        if "pageToken" in request.args:
            return self._serve_page_token(request.args["pageToken"], email, None)
        # NOTE: calendarList syncToken is not modelled: the whole list comes back, which a
        # client that upserts entries handles the same as a change feed.
        account = self._state.data["accounts"].get(email, {})
        listing = _Listing(
            email=email,
            calendar_id=None,
            items=copy.deepcopy(account.get("calendarList", [])),
            page_size=page_size,
            empty_pages_between=0,
            envelope={"kind": "calendar#calendarList", "etag": f'"{self._state.revision}"'},
            resume_from=None,
        )
        return self._serve_page(_PageCursor(listing, 0, 0))

    def _on_events(self, request: Request, args: Mapping[str, Any]) -> Response:
        email = self._authorized_email(request)
        if isinstance(email, Response):
            return email
        entry = self._calendar_entry(email, args["calendar_id"])
        if entry is None:
            return _json(errors.not_found(), 404)
        query = _event_query(request)
        if isinstance(query, Response):
            return query
        page_size = _max_results(request, EVENTS_PAGE_LIMITS)
        if isinstance(page_size, Response):
            return page_size
        calendar_id = entry["id"]
        if "pageToken" in request.args:
            return self._serve_page_token(request.args["pageToken"], email, calendar_id)
        stored = self._state.data["accounts"][email].get("events", {}).get(calendar_id, [])
        sync_token = request.args.get("syncToken")
        if sync_token is not None:
            since = self._state.sync_points.get(sync_token)
            if since is None or (since.email, since.calendar_id) != (email, calendar_id):
                return _json(errors.full_sync_required(), 410)
            stored = [
                e for e in stored if self._revision_of(email, calendar_id, e) > since.revision
            ]
        settings = self._state.settings
        listing = _Listing(
            email=email,
            calendar_id=calendar_id,
            items=select_events(stored, ZoneInfo(entry.get("timeZone", "UTC")), query),
            page_size=min(page_size, settings.events_page_size or page_size),
            empty_pages_between=settings.empty_pages_between,
            envelope=self._events_envelope(entry),
            resume_from=_SyncPoint(email, calendar_id, self._state.revision),
        )
        return self._serve_page(_PageCursor(listing, 0, 0))

    def _events_envelope(self, entry: JsonObject) -> JsonObject:
        envelope: JsonObject = {
            "kind": "calendar#events",
            "etag": f'"{self._state.revision}"',
            "summary": entry.get("summary", entry["id"]),
            "updated": format_rfc3339_utc(datetime.fromtimestamp(self._clock(), UTC)),
            "timeZone": entry.get("timeZone", "UTC"),
            "accessRole": entry.get("accessRole", "owner"),
            "defaultReminders": entry.get("defaultReminders", []),
        }
        if "description" in entry:
            envelope["description"] = entry["description"]
        return envelope

    def _serve_page_token(self, token: str, email: str, calendar_id: str | None) -> Response:
        cursor = self._state.cursors.get(token)
        if cursor is None or (cursor.listing.email, cursor.listing.calendar_id) != (
            email,
            calendar_id,
        ):
            return _json(errors.invalid_parameter("pageToken", "Invalid page token value."), 400)
        return self._serve_page(cursor)

    def _serve_page(self, cursor: _PageCursor) -> Response:
        listing = cursor.listing
        if cursor.empty_pages_due > 0:
            following = _PageCursor(listing, cursor.offset, cursor.empty_pages_due - 1)
            body = {**listing.envelope, "nextPageToken": self._remember(following), "items": []}
            return _json(body, 200)
        end = cursor.offset + listing.page_size
        body = {**listing.envelope, "items": listing.items[cursor.offset : end]}
        if end < len(listing.items):
            following = _PageCursor(listing, end, listing.empty_pages_between)
            body["nextPageToken"] = self._remember(following)
        else:
            body["nextSyncToken"] = self._issue_sync_token(listing.resume_from)
        return _json(body, 200)

    def _remember(self, cursor: _PageCursor) -> str:
        token = secrets.token_urlsafe(24)
        self._state.cursors[token] = cursor
        return token

    def _issue_sync_token(self, resume_from: _SyncPoint | None) -> str:
        token = "CPD" + secrets.token_urlsafe(24)
        if resume_from is not None:
            self._state.sync_points[token] = resume_from
        return token

    def _authorized_email(self, request: Request) -> str | Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        access = self._state.authority.access_token(token) if scheme.lower() == "bearer" else None
        if access is None:
            response = _json(errors.unauthenticated(), 401)
            response.headers["WWW-Authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            return response
        if not any(s.startswith(CALENDAR_SCOPE_PREFIX) for s in access.grant.scopes):
            return _json(errors.insufficient_scope(), 403)
        return access.grant.email

    def _calendar_entry(self, email: str, calendar_id: str) -> JsonObject | None:
        entries = self._state.data["accounts"].get(email, {}).get("calendarList", [])
        for entry in entries:
            if entry["id"] == calendar_id or (calendar_id == "primary" and entry.get("primary")):
                return dict(entry)
        return None

    # -- sandbox-only doors --

    def _on_get_data(self, request: Request, args: Mapping[str, Any]) -> Response:
        return _json(self._state.data, 200)

    def _on_put_data(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        try:
            self._load(validated_data(body))
        except ValueError as error:
            return _json({"message": str(error)}, 400)
        return _json({}, 200)

    def _on_put_event(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        try:
            return _json(self._put_event(args["email"], args["calendar_id"], body), 200)
        except LookupError as error:
            return _json({"message": str(error)}, 404)
        except ValueError as error:
            return _json({"message": str(error)}, 400)

    def _on_cancel_event(self, request: Request, args: Mapping[str, Any]) -> Response:
        email, calendar_id = args["email"], args["calendar_id"]
        events = self._state.data["accounts"].get(email, {}).get("events", {}).get(calendar_id, [])
        stored = next((e for e in events if e["id"] == args["event_id"]), None)
        if stored is None:
            return _json({"message": "no such event"}, 404)
        return _json(self._put_event(email, calendar_id, {**stored, "status": "cancelled"}), 200)

    def _on_add_fault(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        match, status, count = body.get("match"), body.get("status"), body.get("count", 1)
        fault_body = body.get("body")
        if match not in FAULTABLE_ENDPOINTS:
            return _json({"message": f"match must be one of {FAULTABLE_ENDPOINTS}"}, 400)
        if not _is_int(status) or not 400 <= status <= 599:
            return _json({"message": "status must be an HTTP error status"}, 400)
        if not _is_int(count) or count < 1:
            return _json({"message": "count must be a positive integer"}, 400)
        if fault_body is not None and not isinstance(fault_body, dict):
            return _json({"message": "body must be an object"}, 400)
        if fault_body is None:
            is_token = match == "token"
            fault_body = (errors.default_token_fault if is_token else errors.default_api_fault)(
                status
            )
        self._state.faults.setdefault(match, []).append(_Fault(status, count, fault_body))
        return _json({}, 200)

    def _on_clear_faults(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._state.faults.clear()
        return _json({}, 200)

    def _on_invalidate_sync(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._state.sync_points.clear()
        return _json({}, 200)

    def _on_revoke_account(self, request: Request, args: Mapping[str, Any]) -> Response:
        revoked = self._state.authority.revoke_account(args["email"])
        return _json({"revokedGrants": revoked}, 200)

    def _on_grant(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request, allow_empty=True)
        if isinstance(body, Response):
            return body
        if args["email"] not in self._state.data["accounts"]:
            return _json({"message": "no such account"}, 404)
        scope = body.get("scope", CALENDAR_READONLY_SCOPE)
        return _json(self._state.authority.grant_offline_access(args["email"], str(scope)), 200)

    def _on_settings(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        settings = self._state.settings
        page_size = body.get("eventsPageSize", settings.events_page_size)
        empty_pages = body.get("emptyPagesBetween", settings.empty_pages_between)
        ttl = body.get("accessTokenTtlSeconds", settings.access_token_ttl_seconds)
        unknown = set(body) - {"eventsPageSize", "emptyPagesBetween", "accessTokenTtlSeconds"}
        if unknown:
            return _json({"message": f"unknown settings: {sorted(unknown)}"}, 400)
        if page_size is not None and (not _is_int(page_size) or page_size < 1):
            return _json({"message": "eventsPageSize must be a positive integer or null"}, 400)
        if not _is_int(empty_pages) or empty_pages < 0:
            return _json({"message": "emptyPagesBetween must be an integer >= 0"}, 400)
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            return _json({"message": "accessTokenTtlSeconds must be a number > 0"}, 400)
        settings.events_page_size, settings.empty_pages_between = page_size, empty_pages
        settings.access_token_ttl_seconds = float(ttl)
        self._state.authority.access_token_ttl_seconds = float(ttl)
        return _json(
            {
                "eventsPageSize": page_size,
                "emptyPagesBetween": empty_pages,
                "accessTokenTtlSeconds": ttl,
            },
            200,
        )

    def _on_stats(self, request: Request, args: Mapping[str, Any]) -> Response:
        counts = {name: 0 for name in FAULTABLE_ENDPOINTS} | self._state.stats
        return _json(counts, 200)

    def _on_reset(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._start_afresh()
        return _json({}, 200)

    # -- state; callers hold the lock --

    def _start_afresh(self) -> None:
        authority = TokenAuthority(self._client_id, self._client_secret, self._clock)
        self._state = _State(data={}, authority=authority)
        self._load(self._initial_data)

    def _load(self, data: JsonObject) -> None:
        state = self._state
        state.data = copy.deepcopy(data)
        state.revision += 1
        state.event_revisions.clear()
        state.sync_points.clear()
        state.cursors.clear()

    def _revision_of(self, email: str, calendar_id: str, event: Event) -> int:
        # NOTE: events loaded with the data carry revision 0, older than any sync token.
        return self._state.event_revisions.get((email, calendar_id, event["id"]), 0)

    def _put_event(self, email: str, calendar_id: str, event: Event) -> Event:
        account = self._state.data["accounts"].get(email)
        if account is None or not any(e["id"] == calendar_id for e in account["calendarList"]):
            raise LookupError(f"no calendar {calendar_id!r} for account {email!r}")
        _check_event(event)
        state = self._state
        state.revision += 1
        now = format_rfc3339_utc(datetime.fromtimestamp(self._clock(), UTC))
        stored = {"kind": "calendar#event", "status": "confirmed", "created": now, **event}
        stored.update(updated=now, etag=f'"{state.revision}"')
        events = account.setdefault("events", {}).setdefault(calendar_id, [])
        index = next((i for i, e in enumerate(events) if e["id"] == stored["id"]), None)
        if index is None:
            events.append(stored)
        else:
            events[index] = stored
        state.event_revisions[(email, calendar_id, stored["id"])] = state.revision
        return copy.deepcopy(stored)

    def _take_fault(self, endpoint: str) -> _Fault | None:
        queued = self._state.faults.get(endpoint)
        if not queued:
            return None
        fault = queued[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queued.pop(0)
        return fault


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
                _check_event(event)
    return copy.deepcopy(data)


def _check_event(event: object) -> None:
    if not _has_id(event) or not isinstance(event.get("start"), dict):
        raise ValueError(f"an event needs an id and a start: {event!r}")
    if "recurrence" in event:
        parse_recurrence(event["recurrence"])


def _has_id(value: object) -> TypeGuard[JsonObject]:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and bool(value["id"])


def _event_query(request: Request) -> EventQuery | Response:
    params = request.args
    if "syncToken" in params:
        clashing = [name for name in PARAMS_EXCLUDED_BY_SYNC_TOKEN if name in params]
        if clashing:
            message = f"{clashing[0]} cannot be combined with syncToken"
            return _json(errors.invalid_parameter(clashing[0], message), 400)
    single_events = params.get("singleEvents") == "true"
    order_by = params.get("orderBy")
    if order_by not in (None, "startTime", "updated"):
        return _json(errors.invalid_parameter("orderBy"), 400)
    if order_by == "startTime" and not single_events:
        return _json(
            errors.invalid_parameter(
                "orderBy", "The requested ordering is not available for the particular query."
            ),
            400,
        )
    bounds: dict[str, datetime | None] = {}
    for name in ("timeMin", "timeMax"):
        try:
            bounds[name] = parse_rfc3339(params[name]) if name in params else None
        except ValueError:
            return _json(errors.invalid_parameter(name, "Bad Request"), 400)
    return EventQuery(
        time_min=bounds["timeMin"],
        time_max=bounds["timeMax"],
        single_events=single_events,
        order_by=order_by,
        # NOTE: a sync feed must report deletions, so Google includes cancelled events then.
        show_deleted=params.get("showDeleted") == "true" or "syncToken" in params,
    )


def _max_results(request: Request, limits: tuple[int, int]) -> int | Response:
    default, maximum = limits
    raw = request.args.get("maxResults")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        return _json(errors.invalid_parameter("maxResults"), 400)
    return min(int(raw), maximum)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_json_object(request: Request, allow_empty: bool = False) -> JsonObject | Response:
    raw = request.get_data(as_text=True)
    if allow_empty and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return _json({"message": "the body must be JSON"}, 400)
    if not isinstance(body, dict):
        return _json({"message": "the body must be a JSON object"}, 400)
    return body


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(params), 302)


def _html_error(title: str, detail: str) -> Response:
    page = (
        f"<!doctype html><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
    )
    return Response(page, 400, mimetype="text/html")


def _json(body: object, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
