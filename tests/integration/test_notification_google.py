"""The notification service against the Google and LINE sandboxes of a local stack:
paging, sync tokens, stale tokens, rate-limit storms and revoked grants."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests

from linecal.local.embedded import EmbeddedStack
from linecal.local.linked_users import (
    LinkedUser,
    SandboxCalendar,
    add_event,
    add_google_accounts,
    link_users,
)
from linecal.target import find_target
from services.notification.bootstrap import NotificationComposition
from services.notification.handling import NotificationService
from services.notification.settings import NotificationSettings
from tests.calendar_builders import all_day_event, timed_event
from tests.unit.notification_fakes import FakeMeter

AT_7_JST = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # 07:00 JST, 3 December 2026
NEXT_DAY = AT_7_JST + timedelta(days=1)


@dataclass
class Sandboxes:
    stack: EmbeddedStack
    meter: FakeMeter
    service: NotificationService

    @property
    def base(self) -> str:
        return self.stack.base_url

    def google(self, door: str, body: dict[str, Any] | None = None) -> None:
        requests.post(f"{self.base}/sandbox/google/{door}", json=body or {}, timeout=10)

    def google_calls(self) -> dict[str, int]:
        stats: dict[str, int] = requests.get(f"{self.base}/sandbox/google/stats", timeout=10).json()
        return stats

    def pushes_to(self, user_id: str) -> list[str]:
        records = requests.get(
            f"{self.base}/sandbox/line/messages", params={"to": user_id}, timeout=10
        ).json()
        return ["\n".join(m["text"] for m in r["messages"]) for r in records]

    def wait_for_pushes(self, user_id: str) -> list[str]:
        """The pushes to the user once there are any (other services push asynchronously)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.pushes_to(user_id):
            time.sleep(0.3)
        return self.pushes_to(user_id)

    def link(self, *calendars: SandboxCalendar) -> tuple[str, str]:
        """A new user with these calendars, linked and subscribed to all of them."""
        user_id = "U" + uuid.uuid4().hex
        email = f"{user_id[:10].lower()}@example.com"
        user = LinkedUser(user_id, email, calendars)
        add_google_accounts(self.base, [user])
        link_users(find_target(self.base), [user], AT_7_JST)
        return user_id, email


@pytest.fixture
def sandboxes(local_stack: EmbeddedStack) -> Iterator[Sandboxes]:
    meter = FakeMeter()
    service = NotificationComposition(NotificationSettings(), meter).service
    yield Sandboxes(local_stack, meter, service)
    requests.post(
        f"{local_stack.base_url}/sandbox/google/settings",
        json={"eventsPageSize": None, "emptyPagesBetween": 0},
        timeout=10,
    )
    requests.delete(f"{local_stack.base_url}/sandbox/google/faults", timeout=10)


def day_of_events(count: int) -> list[dict[str, Any]]:
    return [
        timed_event(
            f"ev{n}{uuid.uuid4().hex[:6]}",
            f"2026-12-03T{9 + n:02d}:00:00+09:00",
            f"2026-12-03T{9 + n:02d}:30:00+09:00",
            f"予定{n}",
        )
        for n in range(count)
    ]


def test_every_page_is_read_even_an_empty_one_in_the_middle(sandboxes: Sandboxes) -> None:
    # GIVEN five events, served two to a page with an empty page between pages
    user_id, _ = sandboxes.link(SandboxCalendar("main", "メイン", day_of_events(5)))
    sandboxes.google("settings", {"eventsPageSize": 2, "emptyPagesBetween": 1})
    before = sandboxes.google_calls()["events"]

    # WHEN the digest goes out
    outcome = sandboxes.service.send_digest(user_id, AT_7_JST)

    # THEN all five are in one push, after reading 3 pages of events and 2 empty ones
    assert outcome == "sent"
    [digest] = sandboxes.pushes_to(user_id)
    assert [f"予定{n}" in digest for n in range(5)] == [True] * 5
    assert sandboxes.google_calls()["events"] - before == 5


def test_the_sync_token_of_the_last_page_brings_later_changes_in_one_call(
    sandboxes: Sandboxes,
) -> None:
    # GIVEN a user whose calendar was fully read, over several pages, for today's digest
    user_id, email = sandboxes.link(SandboxCalendar("main", "メイン", day_of_events(3)))
    sandboxes.google("settings", {"eventsPageSize": 2, "emptyPagesBetween": 1})
    sandboxes.service.send_digest(user_id, AT_7_JST)

    # WHEN an event is added for tomorrow and tomorrow's digest goes out
    added = timed_event("added1", "2026-12-04T08:00:00+09:00", "2026-12-04T08:30:00+09:00", "追加")
    add_event(sandboxes.base, email, "main", added)
    before = sandboxes.google_calls()["events"]
    sandboxes.service.send_digest(user_id, NEXT_DAY)

    # THEN one events call (the stored token was accepted) brought the new event
    assert sandboxes.google_calls()["events"] - before == 1
    assert sandboxes.meter.counts["SyncTokenExpired"] == 0
    assert "08:00-08:30 追加 [メイン]" in sandboxes.pushes_to(user_id)[-1]


def test_a_stale_sync_token_gets_one_full_sync(sandboxes: Sandboxes) -> None:
    user_id, _ = sandboxes.link(
        SandboxCalendar(
            "main", "メイン", [all_day_event("trip", "2026-12-03", "2026-12-05", "旅行")]
        )
    )
    sandboxes.service.send_digest(user_id, AT_7_JST)

    # WHEN Google forgets every sync token (410 Gone on the next incremental call)
    sandboxes.google("sync-tokens/invalidate")
    before = sandboxes.google_calls()["events"]
    sandboxes.service.send_digest(user_id, NEXT_DAY)

    # THEN one 410 and one full sync, and the digest is still right
    assert sandboxes.google_calls()["events"] - before == 2
    assert sandboxes.meter.counts["SyncTokenExpired"] == 1
    assert "終日 旅行 [メイン]" in sandboxes.pushes_to(user_id)[-1]


def test_a_429_storm_is_waited_out_with_backoff(sandboxes: Sandboxes) -> None:
    user_id, _ = sandboxes.link(SandboxCalendar("main", "メイン", day_of_events(1)))
    sandboxes.google("faults", {"match": "events", "status": 429, "count": 2})
    before = sandboxes.google_calls()["events"]

    outcome = sandboxes.service.send_digest(user_id, AT_7_JST)

    assert outcome == "sent"
    assert sandboxes.google_calls()["events"] - before == 3
    assert "予定0" in sandboxes.pushes_to(user_id)[0]


def test_a_revoked_grant_gets_one_relink_message_and_no_more_calls(sandboxes: Sandboxes) -> None:
    # GIVEN a user who revoked linecal's access in their Google account
    user_id, email = sandboxes.link(SandboxCalendar("main", "メイン", day_of_events(1)))
    sandboxes.google(f"accounts/{quote(email)}/revoke")

    # WHEN their digest comes due (Google answers invalid_grant), then the next day's too
    sandboxes.service.send_digest(user_id, AT_7_JST)
    first = sandboxes.wait_for_pushes(user_id)
    token_calls = sandboxes.google_calls()["token"]
    sandboxes.service.send_digest(user_id, NEXT_DAY)
    sandboxes.service.send_reminders(user_id, NEXT_DAY)

    # THEN GoogleAccessRevoked reached the command service, which told them once how to
    # link again; no digest was sent and Google was not asked again
    assert len(first) == 1 and "「連携」と送って" in first[0]
    assert sandboxes.pushes_to(user_id) == first
    assert sandboxes.google_calls()["token"] == token_calls


def test_an_unreadable_calendar_is_named_and_the_others_still_arrive(
    sandboxes: Sandboxes,
) -> None:
    user_id, _ = sandboxes.link(
        SandboxCalendar("main", "メイン", day_of_events(1)),
        SandboxCalendar("team", "チーム", day_of_events(1)),
    )
    requests.put(  # the team calendar is gone from Google; the subscription is not
        f"{sandboxes.base}/sandbox/google/sandbox-data",
        json=_without_calendar(sandboxes.base, "team"),
        timeout=10,
    )

    sandboxes.service.send_digest(user_id, AT_7_JST)

    [digest] = sandboxes.pushes_to(user_id)
    assert "予定0 [メイン]" in digest
    assert "チーム" in digest.splitlines()[-1]


def test_a_free_busy_calendar_shows_busy_and_one_event_on_two_calendars_shows_once(
    sandboxes: Sandboxes,
) -> None:
    shared = timed_event(
        "shared1", "2026-12-03T15:00:00+09:00", "2026-12-03T16:00:00+09:00", "共有"
    )
    private = timed_event("secret1", "2026-12-03T18:00:00+09:00", "2026-12-03T19:00:00+09:00", "x")
    user_id, _ = sandboxes.link(
        SandboxCalendar("main", "メイン", [shared]),
        SandboxCalendar("team", "チーム", [shared]),
        SandboxCalendar("boss", "上司", [private], access_role="freeBusyReader"),
    )

    sandboxes.service.send_digest(user_id, AT_7_JST)

    [digest] = sandboxes.pushes_to(user_id)
    assert digest.splitlines()[1:] == [
        "15:00-16:00 共有 [メイン, チーム]",
        "18:00-19:00 予定あり [上司]",
    ]


def _without_calendar(base: str, calendar_id: str) -> dict[str, Any]:
    data: dict[str, Any] = requests.get(f"{base}/sandbox/google/sandbox-data", timeout=10).json()
    for account in data["accounts"].values():
        account["calendarList"] = [c for c in account["calendarList"] if c["id"] != calendar_id]
        account.get("events", {}).pop(calendar_id, None)
    return data
