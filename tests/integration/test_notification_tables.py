"""The notification service's tables on the local stack: chunked calendar copies, claims
that make a second send a no-op, and the indexes the minute tick reads."""

from __future__ import annotations

import time as clock
import uuid
from datetime import UTC, datetime, time, timedelta

import requests

from linecal.local.embedded import EmbeddedStack
from linecal.local.linked_users import LinkedUser, SandboxCalendar, add_google_accounts, link_users
from linecal.local.runtime import LocalLambdaContext, scheduled_event
from linecal.target import StackTarget, find_target
from services.notification import tick
from services.notification.adapters.calendar_sync import CalendarSyncTable
from services.notification.adapters.notification_log import NotificationLogTable
from services.notification.adapters.user_settings import DueUsersIndex, UserSettingsTable
from services.notification.adapters.work_queue import SqsWorkQueue
from services.notification.domain.agenda import Window
from services.notification.domain.calendar_sync import CalendarCache
from services.notification.domain.preferences import NotificationPreferences, minute_key
from services.notification.fanout import fan_out_reminders
from tests.calendar_builders import timed_event

AT = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)


def a_big_copy(calendar_id: str, events: int) -> CalendarCache:
    cache = CalendarCache(calendar_id, Window(AT, AT + timedelta(days=35)), sync_token="tok")
    cache.apply(
        timed_event(
            f"e{n}-{uuid.uuid4().hex}",
            "2026-12-03T10:00:00+09:00",
            "2026-12-03T11:00:00+09:00",
            uuid.uuid4().hex,
        )
        for n in range(events)
    )
    return cache


def test_a_copy_too_big_for_one_item_is_split_and_read_back_whole(
    local_stack: EmbeddedStack,
) -> None:
    target = find_target(local_stack.base_url)
    table = CalendarSyncTable(
        target.resource("CalendarSyncTable"), target.client("dynamodb"), max_inline_bytes=4_000
    )
    user = "U" + uuid.uuid4().hex
    big = a_big_copy("en.japanese#holiday@group.v.calendar.google.com", 300)

    table.save(user, big)
    loaded = table.load_all(user)[big.calendar_id]

    assert loaded.events == big.events
    assert loaded.sync_token == "tok"

    # WHEN the copy shrinks back into one item, the old parts go away
    table.save(user, a_big_copy(big.calendar_id, 2))
    items = target.client("dynamodb").query(
        TableName=target.resource("CalendarSyncTable"),
        KeyConditionExpression="userId = :u",
        ExpressionAttributeValues={":u": {"S": user}},
    )["Items"]
    assert len(items) == 1


def test_a_notification_can_be_claimed_again_until_it_is_sent_then_never(
    local_stack: EmbeddedStack,
) -> None:
    target = find_target(local_stack.base_url)
    log = NotificationLogTable(target.resource("NotificationLogTable"), target.client("dynamodb"))
    key = f"digest#{uuid.uuid4().hex}#2026-12-03"

    assert log.claim(key)
    assert log.claim(key)  # the first attempt died before LINE answered
    log.record(key, "sent")

    assert not log.claim(key)
    assert log.status(key) == "sent"


def test_the_indexes_find_users_by_digest_minute_and_reminder_minute(
    local_stack: EmbeddedStack,
) -> None:
    target = find_target(local_stack.base_url)
    client = target.client("dynamodb")
    settings = UserSettingsTable(target.resource("UserSettingsTable"), client)
    index = DueUsersIndex(target.resource("UserSettingsTable"), client)
    tokyo, london = "U" + uuid.uuid4().hex, "U" + uuid.uuid4().hex
    settings.save_preferences(tokyo, NotificationPreferences(), "22:00")
    settings.save_preferences(london, NotificationPreferences(time_zone="Europe/London"), "07:00")
    settings.set_reminder_wake(tokyo, "2031-01-01T00:10")

    assert tokyo in set(index.digest_due("22:00"))
    assert tokyo not in set(index.digest_due("07:00"))
    assert list(index.reminders_due("2031-01-01T00:10")) == [tokyo]

    settings.set_reminder_wake(tokyo, None)
    assert list(index.reminders_due("2031-01-01T00:10")) == []


def test_the_minute_tick_queues_a_due_digest_and_the_worker_pushes_it(
    local_stack: EmbeddedStack,
) -> None:
    # GIVEN a linked user whose digest is due at 23:17 UTC (08:17 JST)
    target = find_target(local_stack.base_url)
    user = a_linked_user(
        target,
        timed_event("q1", "2026-12-03T09:00:00+09:00", "2026-12-03T10:00:00+09:00", "朝会"),
        NotificationPreferences(digest_time=time(8, 17)),
    )

    # WHEN the scheduled tick runs in that minute
    answer = tick.lambda_handler(
        scheduled_event("tick", datetime(2026, 12, 2, 23, 17, 5, tzinfo=UTC)),
        LocalLambdaContext("NotificationTickFunction", 30),
    )

    # THEN the worker (polling the queue) pushes the digest
    assert answer["digests"] >= 1
    pushes = _wait_for_pushes(local_stack.base_url, user.user_id)
    assert len(pushes) == 1
    assert "09:00-10:00 朝会 [メイン]" in pushes[0]["messages"][0]["text"]


def test_a_user_woken_for_reminders_gets_one_ten_minutes_before(
    local_stack: EmbeddedStack,
) -> None:
    # GIVEN a linked user with a 10:00 JST meeting, to be looked at at 09:50 JST
    target = find_target(local_stack.base_url)
    user = a_linked_user(
        target,
        timed_event("r1", "2026-12-03T10:00:00+09:00", "2026-12-03T10:30:00+09:00", "面談"),
    )
    at = datetime(2026, 12, 3, 0, 50, tzinfo=UTC)
    settings = UserSettingsTable(target.resource("UserSettingsTable"), target.client("dynamodb"))
    settings.set_reminder_wake(user.user_id, minute_key(at))

    # WHEN the reminder fan-out runs for that minute
    fan_out_reminders(
        at,
        DueUsersIndex(target.resource("UserSettingsTable"), target.client("dynamodb")),
        SqsWorkQueue(target.resource("NotificationQueue"), target.client("sqs")),
    )

    # THEN the user gets the reminder, and is next looked at after the refresh interval
    pushes = _wait_for_pushes(local_stack.base_url, user.user_id)
    assert pushes[0]["messages"][0]["text"] == "⏰ まもなく (10分後)\n10:00 面談 [メイン]"
    assert list(
        DueUsersIndex(
            target.resource("UserSettingsTable"), target.client("dynamodb")
        ).reminders_due("2026-12-03T01:20")
    ) == [user.user_id]


def a_linked_user(
    target: StackTarget,
    event: dict[str, object],
    preferences: NotificationPreferences | None = None,
) -> LinkedUser:
    user = LinkedUser(
        "U" + uuid.uuid4().hex,
        f"q{uuid.uuid4().hex[:8]}@example.com",
        [SandboxCalendar("main", "メイン", [event])],
        preferences or NotificationPreferences(),
    )
    assert target.base_url is not None
    add_google_accounts(target.base_url, [user])
    link_users(target, [user], AT)
    return user


def _wait_for_pushes(base: str, user_id: str) -> list[dict[str, object]]:
    deadline = clock.monotonic() + 60
    while clock.monotonic() < deadline:
        records: list[dict[str, object]] = requests.get(
            f"{base}/sandbox/line/messages", params={"to": user_id}, timeout=10
        ).json()
        if records:
            return records
        clock.sleep(0.3)
    return []
