"""A local stand-in for Google OAuth2 and Calendar v3 that speaks Google's wire format.

google-auth, google-auth-oauthlib and google-api-python-client talk to it unchanged: point
`token_uri`/`auth_uri` and the client's `api_endpoint` at the prefix this app is mounted
under. Sandbox-only doors (`/sandbox-data`, `/faults`, `/sync-tokens/invalidate`,
`/accounts/{email}/...`, `/settings`, `/stats`, `/reset`) let tests shape the data and the
failures. Event rules live in `google_sandbox_calendar`, OAuth in `google_sandbox_oauth`,
data and tokens in `google_sandbox_store`, request parsing in `google_sandbox_requests`,
error bodies in `google_sandbox_errors`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment
from zoneinfo import ZoneInfo

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from linecal.local import google_sandbox_errors as errors
from linecal.local.google_sandbox_calendar import (
    Event,
    format_rfc3339_utc,
    render_relative_dates,
    select_events,
)
from linecal.local.google_sandbox_oauth import CALENDAR_READONLY_SCOPE, OAuthError, TokenAuthority
from linecal.local.google_sandbox_requests import (
    event_query,
    html_error,
    is_int,
    json_response,
    max_results,
    read_json_object,
    redirect_to,
)
from linecal.local.google_sandbox_store import CalendarStore, Listing, validated_data

JsonObject = dict[str, Any]
Handler = Callable[[Request, Mapping[str, Any]], Response]

DEMO_TIME_ZONE = ZoneInfo("Asia/Tokyo")
CALENDAR_SCOPE_PREFIX = "https://www.googleapis.com/auth/calendar"
CALENDAR_LIST_PAGE_LIMITS = (100, 250)  # (default, maximum) maxResults, as Google's
EVENTS_PAGE_LIMITS = (250, 2500)
FAULTABLE_ENDPOINTS = ("events", "calendarList", "token")


def default_data_path() -> Path:
    """The demo account (demo@example.com) shipped beside this module."""
    return Path(__file__).with_name("demo_google_data.json")


@dataclass
class _Fault:
    status: int
    remaining: int
    body: JsonObject


@dataclass
class _Settings:
    events_page_size: int | None = None
    empty_pages_between: int = 0
    access_token_ttl_seconds: float = 3599.0


@dataclass
class _State:
    store: CalendarStore
    authority: TokenAuthority
    settings: _Settings = field(default_factory=_Settings)
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
            return self._state.store.put_event(email, calendar_id, event)

    def replace_data(self, data: JsonObject) -> None:
        """Replace every account; existing sync tokens then answer 410."""
        with self._lock:
            self._state.store.load(data)

    def invalidate_sync_tokens(self) -> None:
        with self._lock:
            self._state.store.invalidate_sync_tokens()

    def revoke_account(self, email: str) -> int:
        """Revoke every grant `email` gave (its refresh tokens then get invalid_grant)."""
        with self._lock:
            return self._state.authority.revoke_account(email)

    def stats(self) -> dict[str, int]:
        """Calls per endpoint (`calendarList`, `events`, `token`, ...), faulted ones included."""
        with self._lock:
            return self._call_counts()

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
            return json_response(errors.google_error(status, error.name, "notFound"), status)
        # NOTE: one lock around the whole call keeps each request atomic; every handler is
        # quick and never blocks, so serializing them costs nothing here.
        with self._lock:
            stats = self._state.stats
            stats[endpoint] = stats.get(endpoint, 0) + 1
            fault = self._take_fault(endpoint)
            if fault is not None:
                return json_response(fault.body, fault.status)
            return self._handlers[endpoint](request, args)

    # -- OAuth2 --

    def _on_authorize(self, request: Request, args: Mapping[str, Any]) -> Response:
        params = request.args
        if params.get("client_id") != self._state.authority.client_id:
            return html_error("Error 401: invalid_client", "The OAuth client was not found.")
        redirect_uri, scope = params.get("redirect_uri"), params.get("scope")
        if not redirect_uri or not scope:
            return html_error("Error 400: invalid_request", "Missing redirect_uri or scope.")
        state = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code":
            return redirect_to(redirect_uri, {"error": "unsupported_response_type", **state})
        if params.get("deny") == "1":
            return redirect_to(redirect_uri, {"error": "access_denied", **state})
        method = params.get("code_challenge_method", "plain")
        if method not in ("S256", "plain"):
            return html_error("Error 400: invalid_request", "Unsupported code_challenge_method.")
        accounts = self._state.store.emails()
        email = params.get("login_hint") or (accounts[0] if accounts else "")
        if email not in accounts:
            return html_error("Error 400: unknown account", f"Known accounts: {accounts}")
        code = self._state.authority.issue_code(
            email,
            redirect_uri,
            scope,
            params.get("code_challenge"),
            method,
            offline=params.get("access_type") == "offline",
        )
        return redirect_to(redirect_uri, {**state, "code": code, "scope": scope})

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
            return json_response(error.body, error.status)
        response = json_response(answer, 200)
        response.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
        return response

    def _on_revoke(self, request: Request, args: Mapping[str, Any]) -> Response:
        try:
            self._state.authority.revoke_token(request.values.get("token"))
        except OAuthError as error:
            return json_response(error.body, error.status)
        return json_response({}, 200)

    # -- Calendar v3 --

    def _on_calendar_list(self, request: Request, args: Mapping[str, Any]) -> Response:
        email = self._authorized_email(request)
        if isinstance(email, Response):
            return email
        page_size = max_results(request, CALENDAR_LIST_PAGE_LIMITS)
        if isinstance(page_size, Response):
            return page_size
        store = self._state.store
        if "pageToken" in request.args:
            return self._page_or_400(store.next_page(request.args["pageToken"], email, None))
        # NOTE: calendarList syncToken is not modelled: the whole list comes back, which a
        # client that upserts entries handles the same as a change feed.
        listing = Listing(
            email=email,
            calendar_id=None,
            items=store.calendar_list(email),
            page_size=page_size,
            empty_pages_between=0,
            envelope={"kind": "calendar#calendarList", "etag": f'"{store.revision}"'},
            resume_from=None,
        )
        return json_response(store.first_page(listing), 200)

    def _on_events(self, request: Request, args: Mapping[str, Any]) -> Response:
        email = self._authorized_email(request)
        if isinstance(email, Response):
            return email
        store = self._state.store
        entry = store.calendar_entry(email, args["calendar_id"])
        if entry is None:
            return json_response(errors.not_found(), 404)
        query = event_query(request)
        if isinstance(query, Response):
            return query
        page_size = max_results(request, EVENTS_PAGE_LIMITS)
        if isinstance(page_size, Response):
            return page_size
        calendar_id = entry["id"]
        if "pageToken" in request.args:
            return self._page_or_400(store.next_page(request.args["pageToken"], email, calendar_id))
        sync_token = request.args.get("syncToken")
        if sync_token is None:
            events = store.events(email, calendar_id)
        else:
            changed = store.changed_since(sync_token, email, calendar_id)
            if changed is None:
                return json_response(errors.full_sync_required(), 410)
            events = changed
        settings = self._state.settings
        listing = Listing(
            email=email,
            calendar_id=calendar_id,
            items=select_events(events, ZoneInfo(entry.get("timeZone", "UTC")), query),
            page_size=min(page_size, settings.events_page_size or page_size),
            empty_pages_between=settings.empty_pages_between,
            envelope=self._events_envelope(entry),
            resume_from=store.sync_point(email, calendar_id),
        )
        return json_response(store.first_page(listing), 200)

    def _events_envelope(self, entry: JsonObject) -> JsonObject:
        envelope: JsonObject = {
            "kind": "calendar#events",
            "etag": f'"{self._state.store.revision}"',
            "summary": entry.get("summary", entry["id"]),
            "updated": format_rfc3339_utc(datetime.fromtimestamp(self._clock(), UTC)),
            "timeZone": entry.get("timeZone", "UTC"),
            "accessRole": entry.get("accessRole", "owner"),
            "defaultReminders": entry.get("defaultReminders", []),
        }
        if "description" in entry:
            envelope["description"] = entry["description"]
        return envelope

    def _page_or_400(self, page: JsonObject | None) -> Response:
        if page is None:
            return json_response(
                errors.invalid_parameter("pageToken", "Invalid page token value."), 400
            )
        return json_response(page, 200)

    def _authorized_email(self, request: Request) -> str | Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        access = self._state.authority.access_token(token) if scheme.lower() == "bearer" else None
        if access is None:
            response = json_response(errors.unauthenticated(), 401)
            response.headers["WWW-Authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            return response
        if not any(s.startswith(CALENDAR_SCOPE_PREFIX) for s in access.grant.scopes):
            return json_response(errors.insufficient_scope(), 403)
        return access.grant.email

    # -- sandbox-only doors --

    def _on_get_data(self, request: Request, args: Mapping[str, Any]) -> Response:
        return json_response(self._state.store.snapshot(), 200)

    def _on_put_data(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = read_json_object(request)
        if isinstance(body, Response):
            return body
        try:
            self._state.store.load(body)
        except ValueError as error:
            return json_response({"message": str(error)}, 400)
        return json_response({}, 200)

    def _on_put_event(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = read_json_object(request)
        if isinstance(body, Response):
            return body
        try:
            stored = self._state.store.put_event(args["email"], args["calendar_id"], body)
            return json_response(stored, 200)
        except LookupError as error:
            return json_response({"message": str(error)}, 404)
        except ValueError as error:
            return json_response({"message": str(error)}, 400)

    def _on_cancel_event(self, request: Request, args: Mapping[str, Any]) -> Response:
        store = self._state.store
        try:
            cancelled = store.cancel_event(args["email"], args["calendar_id"], args["event_id"])
        except LookupError as error:
            return json_response({"message": str(error)}, 404)
        return json_response(cancelled, 200)

    def _on_add_fault(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = read_json_object(request)
        if isinstance(body, Response):
            return body
        match, status, count = body.get("match"), body.get("status"), body.get("count", 1)
        fault_body = body.get("body")
        if match not in FAULTABLE_ENDPOINTS:
            return json_response({"message": f"match must be one of {FAULTABLE_ENDPOINTS}"}, 400)
        if not is_int(status) or not 400 <= status <= 599:
            return json_response({"message": "status must be an HTTP error status"}, 400)
        if not is_int(count) or count < 1:
            return json_response({"message": "count must be a positive integer"}, 400)
        if fault_body is not None and not isinstance(fault_body, dict):
            return json_response({"message": "body must be an object"}, 400)
        if fault_body is None:
            is_token = match == "token"
            fault_body = (errors.default_token_fault if is_token else errors.default_api_fault)(
                status
            )
        self._state.faults.setdefault(match, []).append(_Fault(status, count, fault_body))
        return json_response({}, 200)

    def _on_clear_faults(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._state.faults.clear()
        return json_response({}, 200)

    def _on_invalidate_sync(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._state.store.invalidate_sync_tokens()
        return json_response({}, 200)

    def _on_revoke_account(self, request: Request, args: Mapping[str, Any]) -> Response:
        revoked = self._state.authority.revoke_account(args["email"])
        return json_response({"revokedGrants": revoked}, 200)

    def _on_grant(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = read_json_object(request, allow_empty=True)
        if isinstance(body, Response):
            return body
        if args["email"] not in self._state.store.emails():
            return json_response({"message": "no such account"}, 404)
        scope = body.get("scope", CALENDAR_READONLY_SCOPE)
        return json_response(
            self._state.authority.grant_offline_access(args["email"], str(scope)), 200
        )

    def _on_settings(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = read_json_object(request)
        if isinstance(body, Response):
            return body
        settings = self._state.settings
        page_size = body.get("eventsPageSize", settings.events_page_size)
        empty_pages = body.get("emptyPagesBetween", settings.empty_pages_between)
        ttl = body.get("accessTokenTtlSeconds", settings.access_token_ttl_seconds)
        unknown = set(body) - {"eventsPageSize", "emptyPagesBetween", "accessTokenTtlSeconds"}
        if unknown:
            return json_response({"message": f"unknown settings: {sorted(unknown)}"}, 400)
        if page_size is not None and (not is_int(page_size) or page_size < 1):
            return json_response(
                {"message": "eventsPageSize must be a positive integer or null"}, 400
            )
        if not is_int(empty_pages) or empty_pages < 0:
            return json_response({"message": "emptyPagesBetween must be an integer >= 0"}, 400)
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            return json_response({"message": "accessTokenTtlSeconds must be a number > 0"}, 400)
        settings.events_page_size, settings.empty_pages_between = page_size, empty_pages
        settings.access_token_ttl_seconds = float(ttl)
        self._state.authority.access_token_ttl_seconds = float(ttl)
        return json_response(
            {
                "eventsPageSize": page_size,
                "emptyPagesBetween": empty_pages,
                "accessTokenTtlSeconds": ttl,
            },
            200,
        )

    def _on_stats(self, request: Request, args: Mapping[str, Any]) -> Response:
        return json_response(self._call_counts(), 200)

    def _on_reset(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._start_afresh()
        return json_response({}, 200)

    # -- state; callers hold the lock --

    def _start_afresh(self) -> None:
        self._state = _State(
            store=CalendarStore(self._initial_data, self._clock),
            authority=TokenAuthority(self._client_id, self._client_secret, self._clock),
        )

    def _call_counts(self) -> dict[str, int]:
        return {name: 0 for name in FAULTABLE_ENDPOINTS} | self._state.stats

    def _take_fault(self, endpoint: str) -> _Fault | None:
        queued = self._state.faults.get(endpoint)
        if not queued:
            return None
        fault = queued[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queued.pop(0)
        return fault
