"""Digest cycle benchmark: N users x M calendars on an in-process local stack.

Runs the morning digest twice through the real path (the tick's fan-out onto the queue,
the notification worker, the Google and LINE sandboxes): the first cycle has no sync
tokens yet; the second, a day later, finds no changes. Prints Google calls per subscribed
calendar per cycle (goal <= 1.0), LINE calls per user who had something to say (goal
1.0) and users per second. Figures are for comparing runs on one machine, not absolutes.

    python bench/digest_cycle.py --users 300 --calendars 3 [--url http://127.0.0.1:8080]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The seeding's token audit lines (one per user) would bury the figures.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from bench.local_stack import running_local_stack  # noqa: E402
from linecal.local.linked_users import (  # noqa: E402
    LinkedUser,
    SandboxCalendar,
    add_google_accounts,
    link_users,
)
from linecal.target import find_target  # noqa: E402
from services.notification.adapters.user_settings import DueUsersIndex  # noqa: E402
from services.notification.adapters.work_queue import SqsWorkQueue  # noqa: E402
from services.notification.fanout import fan_out_digests  # noqa: E402

FIRST_DIGEST = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # 07:00 JST, 3 December 2026


def calendar_events(user: int, calendar: int) -> list[dict[str, Any]]:
    """Two timed events on each of the two digest days, and one all-day event."""
    events = []
    for day in (3, 4):
        for hour in (9 + calendar, 14 + calendar):
            events.append(
                {
                    "id": f"u{user}c{calendar}d{day}h{hour}",
                    "status": "confirmed",
                    "summary": f"予定 {calendar}-{hour}",
                    "start": {"dateTime": f"2026-12-{day:02d}T{hour:02d}:00:00+09:00"},
                    "end": {"dateTime": f"2026-12-{day:02d}T{hour:02d}:30:00+09:00"},
                    "iCalUID": f"u{user}c{calendar}d{day}h{hour}@bench",
                }
            )
    events.append(
        {
            "id": f"u{user}c{calendar}trip",
            "status": "confirmed",
            "summary": "出張",
            "start": {"date": "2026-12-03"},
            "end": {"date": "2026-12-05"},
        }
    )
    return events


def users_with_calendars(users: int, calendars: int) -> list[LinkedUser]:
    return [
        LinkedUser(
            f"Ubench{n:06d}",
            f"bench{n:06d}@example.com",
            [
                SandboxCalendar(f"cal{c}-{n}", f"カレンダー{c}", calendar_events(n, c))
                for c in range(calendars)
            ],
        )
        for n in range(users)
    ]


def stats(base: str, sandbox: str) -> dict[str, int]:
    answer: dict[str, int] = requests.get(f"{base}/sandbox/{sandbox}/stats", timeout=10).json()
    return answer


def run_cycle(base: str, at: datetime, users: int, timeout: float) -> dict[str, float]:
    target = find_target(base)
    google_before, line_before = stats(base, "google"), stats(base, "line")
    started = time.monotonic()

    summary = fan_out_digests(
        at,
        DueUsersIndex(target.resource("UserSettingsTable"), target.client("dynamodb")),
        SqsWorkQueue(target.resource("NotificationQueue"), target.client("sqs")),
    )
    deadline = started + timeout
    while time.monotonic() < deadline:
        if stats(base, "line")["push"] - line_before["push"] >= users:
            break
        time.sleep(0.5)
    seconds = time.monotonic() - started

    google_after, line_after = stats(base, "google"), stats(base, "line")
    return {
        "queued": summary.queued,
        "seconds": seconds,
        "events_calls": google_after["events"] - google_before["events"],
        "token_calls": google_after["token"] - google_before["token"],
        "pushes": line_after["push"] - line_before["push"],
        "rejected": line_after["rejected"] - line_before["rejected"],
    }


def report(name: str, cycle: dict[str, float], users: int, calendars: int) -> None:
    subscribed = users * calendars
    pushes = cycle["pushes"]
    print(
        f"{name}: queued {cycle['queued']:.0f} users; "
        f"Google events calls per subscribed calendar {cycle['events_calls'] / subscribed:.2f} "
        f"(goal <= 1.0); token refreshes per user {cycle['token_calls'] / users:.2f}; "
        f"LINE calls per user with something to say {pushes / users:.2f} (goal 1.0; "
        f"{cycle['rejected']:.0f} rejected); {pushes / cycle['seconds']:.1f} users/s "
        f"({cycle['seconds']:.1f}s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--calendars", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per cycle")
    parser.add_argument("--url", help="a running local stack (default: start a fresh one)")
    args = parser.parse_args()

    if args.url:
        run(args.url, args.users, args.calendars, args.timeout)
        return
    with running_local_stack("--no-schedules") as base:
        run(base, args.users, args.calendars, args.timeout)


def run(base: str, users: int, calendars: int, timeout: float) -> None:
    requests.post(f"{base}/sandbox/line/settings", json={"monthlyQuota": 10**9}, timeout=10)
    people = users_with_calendars(users, calendars)
    seeding = time.monotonic()
    add_google_accounts(base, people)
    link_users(find_target(base), people, FIRST_DIGEST - timedelta(hours=1))
    print(f"seeded {users} users x {calendars} calendars in {time.monotonic() - seeding:.1f}s")

    first = run_cycle(base, FIRST_DIGEST, users, timeout)
    report("cycle 1 (first sync)", first, users, calendars)
    second = run_cycle(base, FIRST_DIGEST + timedelta(days=1), users, timeout)
    report("cycle 2 (no changes)", second, users, calendars)


if __name__ == "__main__":
    main()
