"""The Google sandbox, driven through its HTTP doors and through the real Google libraries."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.test import Client, TestResponse

from linecal.local.sandbox_google import GoogleSandbox, default_data_path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "google"
PREFIX = "/sandbox/google"
CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
CLIENT_SECRET = "sandbox-client-secret"
EMAIL = "user@example.com"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
HOLIDAYS_ID = "en.japanese#holiday@group.v.calendar.google.com"
REDIRECT_URI = "http://127.0.0.1:8080/oauth/callback"
DAY_START, DAY_END = "2026-12-03T00:00:00+09:00", "2026-12-04T00:00:00+09:00"


class FakeClock:
    def __init__(self, now: float = datetime(2026, 12, 3, 1, 0, tzinfo=UTC).timestamp()) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def json_of(response: TestResponse) -> Any:
    """The JSON body, typed loosely as tests read it."""
    return json.loads(response.get_data(as_text=True))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_data() -> dict[str, Any]:
    """One account built from the captured payloads, plus a recurring master and a holiday
    calendar whose id needs percent-encoding."""
    events = fixture("events_page_timed_and_allday.json")["items"]
    weekly_master = {
        **copy.deepcopy(events[2]),
        "id": "weeklysync",
        "start": {"dateTime": "2026-11-26T12:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2026-11-26T12:30:00+09:00", "timeZone": "Asia/Tokyo"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
    }
    del weekly_master["recurringEventId"], weekly_master["originalStartTime"]
    holidays_entry = {
        "kind": "calendar#calendarListEntry",
        "id": HOLIDAYS_ID,
        "summary": "Holidays in Japan",
        "timeZone": "Asia/Tokyo",
        "accessRole": "reader",
    }
    holiday = {
        "id": "20261223_holiday",
        "summary": "祝日",
        "status": "confirmed",
        "start": {"date": "2026-12-23"},
        "end": {"date": "2026-12-24"},
    }
    calendar_list = fixture("calendar_list.json")["items"] + [holidays_entry]
    return {
        "accounts": {
            EMAIL: {
                "calendarList": calendar_list,
                "events": {EMAIL: [*events, weekly_master], HOLIDAYS_ID: [holiday]},
            }
        }
    }


def mounted(sandbox: GoogleSandbox) -> DispatcherMiddleware:
    """The sandbox under its prefix, as the local server mounts it."""
    return DispatcherMiddleware(NotFound(), {PREFIX: sandbox.wsgi_app})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> GoogleSandbox:
    return GoogleSandbox(fixture_data(), CLIENT_ID, CLIENT_SECRET, clock=clock)


@pytest.fixture
def client(sandbox: GoogleSandbox) -> Client:
    return Client(mounted(sandbox))


@pytest.fixture
def base_url(sandbox: GoogleSandbox) -> Iterator[str]:
    """The sandbox served over real HTTP on a free local port, for the real libraries."""
    server = make_server("127.0.0.1", 0, mounted(sandbox), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}{PREFIX}"
    server.shutdown()
    thread.join()


def calendar_service(base_url: str, refresh_token: str) -> Any:
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=refresh_token,
        token_uri=f"{base_url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": f"{base_url}/"},
    )


@pytest.fixture
def service(sandbox: GoogleSandbox, base_url: str) -> Any:
    return calendar_service(base_url, sandbox.grant_offline_access(EMAIL)["refresh_token"])


def all_pages(service: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of an events.list call, as a client following nextPageToken sees them."""
    pages, request = [], service.events().list(**params)
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = service.events().list_next(request, page)
    return pages


def error_reason(error: HttpError) -> str:
    reason: str = json.loads(error.content)["error"]["errors"][0]["reason"]
    return reason


# -- through the real libraries --


def test_calendar_list_through_the_client_refreshes_via_the_sandbox(
    service: Any, sandbox: GoogleSandbox
) -> None:
    # GIVEN credentials holding only a refresh token
    # WHEN the calendar list is read
    answer = service.calendarList().list().execute()

    # THEN the token was refreshed at the sandbox and the entries are the stored ones
    assert [entry["id"] for entry in answer["items"]][:2] == [
        EMAIL,
        "c_1a2b3c4d5e6f@group.calendar.google.com",
    ]
    assert answer["items"][0]["primary"] is True
    assert "nextSyncToken" in answer
    assert sandbox.stats() == {"token": 1, "calendarList": 1, "events": 0}


def test_events_of_a_day_are_expanded_filtered_and_ordered(service: Any) -> None:
    # WHEN one day's single events are listed in start order
    answer = (
        service.events()
        .list(
            calendarId=EMAIL,
            timeMin=DAY_START,
            timeMax=DAY_END,
            singleEvents=True,
            orderBy="startTime",
        )
        .execute()
    )

    # THEN the all-day event (local to Tokyo) leads, and the stored exception replaces the
    # generated instance of the weekly series
    assert [event["id"] for event in answer["items"]] == [
        "allday20261203x",
        "4m1n0pqrstu2v3w4x5y6z7a8b9",
        "weeklysync_20261203T030000Z",
        "declinedparty01",
    ]
    assert answer["timeZone"] == "Asia/Tokyo"
    assert answer["items"][2]["recurringEventId"] == "weeklysync"


def test_recurring_series_expands_into_instances_with_their_origin(service: Any) -> None:
    # WHEN the weekly series is listed as single events over its four weeks
    answer = (
        service.events()
        .list(
            calendarId=EMAIL,
            timeMin="2026-11-26T00:00:00+09:00",
            timeMax="2026-12-31T00:00:00+09:00",
            singleEvents=True,
            orderBy="startTime",
            q=None,
        )
        .execute()
    )
    weekly = [e for e in answer["items"] if e.get("recurringEventId") == "weeklysync"]

    # THEN four instances, one a week, each pointing at its original start
    assert [e["start"]["dateTime"] for e in weekly] == [
        "2026-11-26T12:00:00+09:00",
        "2026-12-03T12:00:00+09:00",
        "2026-12-10T12:00:00+09:00",
        "2026-12-17T12:00:00+09:00",
    ]
    assert weekly[2]["id"] == "weeklysync_20261210T030000Z"
    assert weekly[2]["originalStartTime"] == weekly[2]["start"]
    assert all("recurrence" not in e for e in weekly)


def test_without_single_events_the_recurring_master_comes_back_as_is(service: Any) -> None:
    answer = service.events().list(calendarId=EMAIL, timeMin=DAY_START, timeMax=DAY_END).execute()

    master = next(e for e in answer["items"] if e["id"] == "weeklysync")
    assert master["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]


def test_calendar_id_with_hash_and_at_is_decoded(service: Any) -> None:
    # WHEN the holiday calendar (id with '#' and '@') is read through the client
    answer = service.events().list(calendarId=HOLIDAYS_ID).execute()

    # THEN its events come back
    assert [event["summary"] for event in answer["items"]] == ["祝日"]


def test_unknown_calendar_is_404_in_googles_shape(service: Any) -> None:
    with pytest.raises(HttpError) as raised:
        service.events().list(calendarId="nobody@example.com").execute()

    assert raised.value.resp.status == 404
    assert json.loads(raised.value.content) == fixture("error_404_calendar.json")


def test_paging_with_an_empty_middle_page_reaches_every_event_once(
    service: Any, client: Client
) -> None:
    # GIVEN pages of two events with an empty page between full ones
    client.post(f"{PREFIX}/settings", json={"eventsPageSize": 2, "emptyPagesBetween": 1})

    # WHEN a client follows nextPageToken to the end
    pages = all_pages(service, calendarId=EMAIL, timeMin=DAY_START, timeMax=DAY_END)

    # THEN it met an empty page that still carried a token, saw every event once, and only
    # the last page carried nextSyncToken
    assert [len(page["items"]) for page in pages] == [2, 0, 2, 0, 1]
    assert all("nextPageToken" in page for page in pages[:-1])
    assert "nextSyncToken" in pages[-1] and "nextSyncToken" not in pages[0]
    ids = [event["id"] for page in pages for event in page["items"]]
    assert len(ids) == len(set(ids)) == 5


def test_sync_token_returns_only_what_changed_including_cancellations(
    service: Any, sandbox: GoogleSandbox
) -> None:
    # GIVEN a full sync, then one event edited and one cancelled
    sync_token = all_pages(service, calendarId=EMAIL)[-1]["nextSyncToken"]
    edited = {**fixture("events_page_timed_and_allday.json")["items"][0], "summary": "定例(変更)"}
    sandbox.put_event(EMAIL, EMAIL, edited)
    cancelled = {**fixture("events_page_timed_and_allday.json")["items"][3], "status": "cancelled"}
    sandbox.put_event(EMAIL, EMAIL, cancelled)

    # WHEN the client syncs incrementally
    changes = all_pages(service, calendarId=EMAIL, syncToken=sync_token)

    # THEN only the two changes come back, the cancellation included, with a new token
    items = [event for page in changes for event in page["items"]]
    assert {(e["id"], e["status"]) for e in items} == {
        ("4m1n0pqrstu2v3w4x5y6z7a8b9", "confirmed"),
        ("declinedparty01", "cancelled"),
    }
    assert items[0]["updated"] > "2026-11-20T01:00:00.000Z"
    follow_up = all_pages(service, calendarId=EMAIL, syncToken=changes[-1]["nextSyncToken"])
    assert follow_up[-1]["items"] == []


def test_invalidated_sync_token_is_410_full_sync_required(service: Any, client: Client) -> None:
    # GIVEN a sync token that the sandbox then invalidated
    sync_token = all_pages(service, calendarId=EMAIL)[-1]["nextSyncToken"]
    client.post(f"{PREFIX}/sync-tokens/invalidate")

    # WHEN the client syncs with it
    with pytest.raises(HttpError) as raised:
        service.events().list(calendarId=EMAIL, syncToken=sync_token).execute()

    # THEN Google's 410 answer
    assert raised.value.resp.status == 410
    assert json.loads(raised.value.content) == fixture("error_410_sync_token.json")


def test_sync_token_with_a_time_window_is_refused(service: Any) -> None:
    sync_token = all_pages(service, calendarId=EMAIL)[-1]["nextSyncToken"]

    with pytest.raises(HttpError) as raised:
        service.events().list(calendarId=EMAIL, syncToken=sync_token, timeMin=DAY_START).execute()

    assert raised.value.resp.status == 400


def test_injected_rate_limit_reaches_the_client_in_googles_shape(
    service: Any, client: Client
) -> None:
    client.post(f"{PREFIX}/faults", json={"match": "events", "status": 403})

    with pytest.raises(HttpError) as raised:
        service.events().list(calendarId=EMAIL).execute()

    assert raised.value.resp.status == 403
    assert json.loads(raised.value.content) == fixture("error_403_rate_limit.json")
    assert service.events().list(calendarId=EMAIL).execute()["items"]


def test_expired_access_token_is_refreshed_by_the_client(
    service: Any, sandbox: GoogleSandbox, clock: FakeClock
) -> None:
    # GIVEN a client whose access token expired at the sandbox
    service.calendarList().list().execute()
    clock.now += 3600

    # WHEN it calls again
    answer = service.calendarList().list().execute()

    # THEN it got a 401, refreshed, and retried
    assert answer["items"]
    assert sandbox.stats()["token"] == 2


def test_revoked_account_cannot_refresh(
    sandbox: GoogleSandbox, base_url: str, client: Client
) -> None:
    # GIVEN a user who revoked the app's access
    refresh_token = sandbox.grant_offline_access(EMAIL)["refresh_token"]
    client.post(f"{PREFIX}/accounts/{EMAIL}/revoke")

    # WHEN the client tries to use its refresh token
    with pytest.raises(RefreshError) as raised:
        calendar_service(base_url, refresh_token).calendarList().list().execute()

    # THEN Google's invalid_grant
    assert "invalid_grant" in str(raised.value)


def test_auth_code_flow_with_pkce_through_google_auth_oauthlib(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the app's OAuth flow pointed at the sandbox (plain HTTP allowed for this test only)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    flow = Flow.from_client_config(
        {
            "web": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "auth_uri": f"{base_url}/o/oauth2/auth",
                "token_uri": f"{base_url}/token",
                "redirect_uris": [REDIRECT_URI],
            }
        },
        scopes=[CALENDAR_SCOPE],
        redirect_uri=REDIRECT_URI,
    )
    authorization_url, state = flow.authorization_url(
        access_type="offline", prompt="consent", login_hint=EMAIL
    )

    # WHEN the user's browser visits the consent screen and the app exchanges the code
    consent = requests.get(authorization_url, allow_redirects=False, timeout=5)
    callback_url = consent.headers["Location"]
    flow.fetch_token(authorization_response=callback_url)

    # THEN the app holds working credentials for that account
    assert consent.status_code == 302
    assert parse_qs(urlsplit(callback_url).query)["state"] == [state]
    assert "code_challenge" in authorization_url
    credentials = flow.credentials
    assert credentials.refresh_token and credentials.token
    service = build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": f"{base_url}/"},
    )
    assert service.calendarList().list().execute()["items"][0]["id"] == EMAIL


def test_demo_data_puts_events_around_today(clock: FakeClock) -> None:
    # GIVEN the demo account loaded for a given day
    sandbox = GoogleSandbox.from_file(
        default_data_path(), CLIENT_ID, CLIENT_SECRET, clock=clock, today=date(2027, 1, 15)
    )
    client = Client(mounted(sandbox))
    token = sandbox.grant_offline_access("demo@example.com")["access_token"]

    # WHEN that day's events are listed
    answer = json_of(
        client.get(
            f"{PREFIX}/calendars/primary/events",
            query_string={
                "timeMin": "2027-01-15T00:00:00+09:00",
                "timeMax": "2027-01-16T00:00:00+09:00",
                "singleEvents": "true",
                "orderBy": "startTime",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    )

    # THEN they fall on that day
    assert [e["summary"] for e in answer["items"]] == ["定例ミーティング", "週次1on1"]
    assert answer["items"][0]["start"]["dateTime"] == "2027-01-15T10:00:00+09:00"


# -- through the HTTP doors --


def exchange(client: Client, **form: str) -> Any:
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return client.post(f"{PREFIX}/token", data={**credentials, **form})


def consent_code(client: Client, **extra: str) -> str:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": CALENDAR_SCOPE,
        "state": "xyz",
        "access_type": "offline",
        **extra,
    }
    location = client.get(f"{PREFIX}/o/oauth2/auth", query_string=params).headers["Location"]
    return parse_qs(urlsplit(location).query)["code"][0]


def test_code_works_once(client: Client) -> None:
    # GIVEN a code already exchanged
    code = consent_code(client)
    first = exchange(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert first.status_code == 200

    # WHEN it is exchanged again
    again = exchange(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)

    # THEN invalid_grant, and the first answer had fresh tokens in Google's shape
    assert (again.status_code, json_of(again)["error"]) == (400, "invalid_grant")
    assert set(json_of(first)) == {
        "access_token",
        "expires_in",
        "refresh_token",
        "scope",
        "token_type",
    }
    assert json_of(first)["access_token"] != fixture("token_exchange_ok.json")["access_token"]


def test_wrong_pkce_verifier_is_refused(client: Client) -> None:
    code = consent_code(client, code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")

    answer = exchange(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier="not-the-verifier",
    )

    assert (answer.status_code, json_of(answer)["error"]) == (400, "invalid_grant")


def test_redirect_uri_must_match(client: Client) -> None:
    code = consent_code(client)

    answer = exchange(client, grant_type="authorization_code", code=code, redirect_uri="http://x/")

    assert answer.status_code == 400


def test_bad_client_secret_is_401_invalid_client(client: Client) -> None:
    answer = client.post(
        f"{PREFIX}/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": CLIENT_ID},
    )

    assert (answer.status_code, json_of(answer)["error"]) == (401, "invalid_client")


def test_denied_consent_redirects_with_access_denied(client: Client) -> None:
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code"}
    params |= {"scope": CALENDAR_SCOPE, "state": "s1", "deny": "1"}

    location = client.get(f"{PREFIX}/o/oauth2/auth", query_string=params).headers["Location"]

    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": ["s1"]}


def test_unknown_client_gets_an_error_page(client: Client) -> None:
    params = {"client_id": "stranger", "redirect_uri": REDIRECT_URI, "response_type": "code"}

    response = client.get(f"{PREFIX}/o/oauth2/auth", query_string=params)

    assert response.status_code == 400
    assert "invalid_client" in response.text


def test_revoking_a_refresh_token_kills_its_access_tokens(
    client: Client, sandbox: GoogleSandbox
) -> None:
    # GIVEN a grant with a live access token
    grant = sandbox.grant_offline_access(EMAIL)
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    assert client.get(f"{PREFIX}/users/me/calendarList", headers=bearer).status_code == 200

    # WHEN the refresh token is revoked
    revoked = client.post(f"{PREFIX}/revoke", query_string={"token": grant["refresh_token"]})

    # THEN neither token works any more
    assert revoked.status_code == 200
    assert client.get(f"{PREFIX}/users/me/calendarList", headers=bearer).status_code == 401
    refresh = exchange(client, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert json_of(refresh) == fixture("token_invalid_grant.json")


def test_calendar_list_pages_by_max_results(client: Client, sandbox: GoogleSandbox) -> None:
    bearer = {"Authorization": f"Bearer {sandbox.grant_offline_access(EMAIL)['access_token']}"}
    url = f"{PREFIX}/users/me/calendarList"

    first = json_of(client.get(url, query_string={"maxResults": "3"}, headers=bearer))
    second = client.get(url, query_string={"pageToken": first["nextPageToken"]}, headers=bearer)

    assert len(first["items"]) == 3 and "nextSyncToken" not in first
    assert [e["id"] for e in json_of(second)["items"]] == [HOLIDAYS_ID]


def test_event_added_through_the_door_is_listed(client: Client, sandbox: GoogleSandbox) -> None:
    # GIVEN an event added for the family calendar through the sandbox door
    calendar_id = "family0123456789@group.calendar.google.com"
    event = {"id": "newdinner01", "summary": "夕食", "start": {"dateTime": DAY_START}}
    event["end"] = {"dateTime": "2026-12-03T01:00:00+09:00"}
    added = client.post(
        f"{PREFIX}/sandbox-data/accounts/{EMAIL}/calendars/{calendar_id}/events", json=event
    )

    # WHEN that calendar is listed
    bearer = {"Authorization": f"Bearer {sandbox.grant_offline_access(EMAIL)['access_token']}"}
    answer = json_of(client.get(f"{PREFIX}/calendars/{calendar_id}/events", headers=bearer))

    # THEN the event is there, stamped like Google's
    assert added.status_code == 200
    assert [(e["id"], e["status"], e["kind"]) for e in answer["items"]] == [
        ("newdinner01", "confirmed", "calendar#event")
    ]


def test_replacing_data_invalidates_sync_tokens_and_checks_shape(client: Client) -> None:
    bad = client.put(f"{PREFIX}/sandbox-data", json={"accounts": {EMAIL: {"events": {}}}})
    good = client.put(f"{PREFIX}/sandbox-data", json=fixture_data())

    assert (bad.status_code, good.status_code) == (400, 200)


def test_missing_or_unknown_bearer_is_401(client: Client) -> None:
    response = client.get(
        f"{PREFIX}/users/me/calendarList", headers={"Authorization": "Bearer ya29.nope"}
    )

    assert response.status_code == 401
    assert json_of(response)["error"]["status"] == "UNAUTHENTICATED"
    assert json_of(client.get(f"{PREFIX}/stats"))["calendarList"] == 1


@pytest.mark.parametrize(
    ("time_min", "time_max", "listed"),
    [
        ("2026-12-03T14:59:00Z", "2026-12-03T16:00:00Z", True),  # 23:59 in Tokyo
        ("2026-12-03T15:00:00Z", "2026-12-03T16:00:00Z", False),  # end is exclusive
        ("2026-12-02T00:00:00+09:00", "2026-12-03T00:00:00+09:00", False),  # ends at its start
        ("2026-12-02T00:00:00+09:00", "2026-12-03T00:00:01+09:00", True),
    ],
)
def test_all_day_event_is_a_tokyo_date_with_an_exclusive_end(
    client: Client, sandbox: GoogleSandbox, time_min: str, time_max: str, listed: bool
) -> None:
    # GIVEN the all-day event of 2026-12-03 on a calendar in Asia/Tokyo
    bearer = {"Authorization": f"Bearer {sandbox.grant_offline_access(EMAIL)['access_token']}"}

    # WHEN a window near its edges is listed
    answer = json_of(
        client.get(
            f"{PREFIX}/calendars/{EMAIL}/events",
            query_string={"timeMin": time_min, "timeMax": time_max},
            headers=bearer,
        )
    )

    # THEN it is listed only when the window overlaps that local day
    assert ("allday20261203x" in [e["id"] for e in answer["items"]]) is listed
