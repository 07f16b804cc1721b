"""The command service against the local stack: its tables in the emulator, LINE and Google
sandboxes, and whole webhook deliveries (duplicates, failures, expired reply tokens)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from linecal.chat import postback_event, text_event
from linecal.local.embedded import EmbeddedStack
from services.command.conversation_state import (
    GroupNoticeLedger,
    MinuteCommandCounter,
    StoredChoiceSessions,
)
from services.command.domain.ports import CalendarOption
from services.command.google_account import LinkedGoogleCalendars, RevocableGoogleGrants
from services.command.settings import CommandSettings
from services.command.user_settings import UserSettingsReader
from services.command.webhook_events import LEASE_SECONDS, WebhookEventClaims
from shared.google_calendar import GoogleCalendar, GrantRevoked
from shared.repositories.oauth_tokens import OAuthTokens
from tests.fixture_files import line_channel_secret
from tests.lines import signed

BOT = "U" + "0" * 32


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def table(stack: EmbeddedStack, logical_id: str) -> str:
    assert stack.stack is not None
    return stack.stack.resources[logical_id]


def tokens(stack: EmbeddedStack) -> OAuthTokens:
    return OAuthTokens(table(stack, "OAuthTokensTable"), CommandSettings().token_key_id)


def google_account(email: str, calendars: int) -> dict[str, Any]:
    """A Google account in the API's own shapes: a primary calendar and shared ones whose
    ids hold `#` and `@`, as Google's imported and group calendars do."""
    entries = [
        {"kind": "calendar#calendarListEntry", "id": email, "summary": email,
         "timeZone": "Asia/Tokyo", "accessRole": "owner", "primary": True}
    ] + [
        {"kind": "calendar#calendarListEntry",
         "id": f"c_{n:03d}#team{n}@group.calendar.google.com",
         "summary": f"Team {n:02d} " + "long name " * (n % 3), "timeZone": "Asia/Tokyo",
         "accessRole": "reader"}
        for n in range(1, calendars)
    ]  # fmt: skip
    return {"calendarList": entries, "events": {}}


def add_google_account(stack: EmbeddedStack, email: str, calendars: int) -> None:
    data = requests.get(f"{stack.base_url}/sandbox/google/sandbox-data", timeout=5).json()
    data["accounts"][email] = google_account(email, calendars)
    answer = requests.put(f"{stack.base_url}/sandbox/google/sandbox-data", json=data, timeout=5)
    assert answer.status_code == 200, answer.text


def link(stack: EmbeddedStack, user_id: str, email: str) -> str:
    assert stack.google_sandbox is not None
    refresh_token = str(stack.google_sandbox.grant_offline_access(email)["refresh_token"])
    tokens(stack).store(user_id, refresh_token)
    return refresh_token


def post_events(stack: EmbeddedStack, *events: dict[str, Any]) -> requests.Response:
    body = json.dumps({"destination": BOT, "events": list(events)}).encode("utf-8")
    return requests.post(
        f"{stack.base_url}/line/webhook",
        data=body,
        headers={"X-Line-Signature": signed(body, line_channel_secret())},
        timeout=10,
    )


def reply_token(stack: EmbeddedStack, user_id: str) -> str:
    assert stack.line_sandbox is not None
    return stack.line_sandbox.issue_reply_token(user_id)


def deliveries(stack: EmbeddedStack, user_id: str) -> list[dict[str, Any]]:
    assert stack.line_sandbox is not None
    return stack.line_sandbox.sent_messages(user_id)


def wait_for(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def settle(stack: EmbeddedStack, user_id: str, count: int, quiet: float = 2.0) -> list[Any]:
    """Wait for `count` deliveries to the user, then a little more to catch any extra."""
    wait_for(lambda: len(deliveries(stack, user_id)) >= count)
    time.sleep(quiet)
    return deliveries(stack, user_id)


def assert_refused_by_google(refresh_token: str) -> None:
    with pytest.raises(GrantRevoked):
        GoogleCalendar(CommandSettings(), refresh_token).calendar_list()


# ---------------------------------------------------------------- adapters on the emulator


def test_choice_sessions_expire_are_per_user_and_are_forgotten(local_stack: EmbeddedStack) -> None:
    clock = Clock()
    sessions = StoredChoiceSessions(table(local_stack, "SessionsTable"), clock=clock)
    options = [CalendarOption("a#b@group.calendar.google.com", "仕事", False)]

    session = sessions.start("Usess1", "add", "ja", options)

    assert sessions.find("Usess1", session.key) == session
    assert sessions.find("Usess2", session.key) is None  # someone else's button
    assert sessions.find("Usess1", "other-key") is None
    clock.now += 601
    assert sessions.find("Usess1", session.key) is None  # expired, though TTL is lazy
    clock.now -= 601
    sessions.forget_user("Usess1")
    assert sessions.find("Usess1", session.key) is None


def test_a_newer_menu_replaces_the_older(local_stack: EmbeddedStack) -> None:
    sessions = StoredChoiceSessions(table(local_stack, "SessionsTable"))
    older = sessions.start("Usess3", "add", "en", [CalendarOption("x", "X")])
    newer = sessions.start("Usess3", "remove", "en", [CalendarOption("y", "Y")])

    assert sessions.find("Usess3", older.key) is None
    assert sessions.find("Usess3", newer.key) == newer


def test_webhook_event_claims(local_stack: EmbeddedStack) -> None:
    clock = Clock()
    claims = WebhookEventClaims(table(local_stack, "WebhookEventsTable"), clock=clock)

    assert claims.claim("01CLAIM1") is True
    assert claims.claim("01CLAIM1") is False  # being processed
    claims.release("01CLAIM1")
    assert claims.claim("01CLAIM1") is True  # a failed attempt gave it back
    clock.now += LEASE_SECONDS + 1
    assert claims.claim("01CLAIM1") is True  # its worker died: the lease ran out
    claims.complete("01CLAIM1")
    claims.release("01CLAIM1")
    clock.now += 3600
    assert claims.claim("01CLAIM1") is False  # answered: never again


def test_command_counter_counts_per_user_and_minute(local_stack: EmbeddedStack) -> None:
    clock = Clock()
    counter = MinuteCommandCounter(table(local_stack, "SessionsTable"), clock=clock)

    counts = [counter.count("Ucount") for _ in range(3)]
    other = counter.count("Ucount-other")
    clock.now += 60

    assert (counts, other, counter.count("Ucount")) == ([1, 2, 3], 1, 1)


def test_group_notice_is_given_once(local_stack: EmbeddedStack) -> None:
    ledger = GroupNoticeLedger(table(local_stack, "SessionsTable"))

    assert [ledger.first_time("Cgroup-x") for _ in range(3)] == [True, False, False]


def test_user_settings_reader_gives_defaults_then_the_row(local_stack: EmbeddedStack) -> None:
    name = table(local_stack, "UserSettingsTable")
    reader = UserSettingsReader(name)
    assert reader.for_user("Usettings").digest_time == "07:00"

    boto3.client("dynamodb").put_item(
        TableName=name,
        Item={
            "userId": {"S": "Usettings"},
            "digestTime": {"S": "06:30"},
            "reminderMinutes": {"N": "0"},
            "timeZone": {"S": "Europe/Paris"},
            "quietHours": {"S": "22:00-06:00"},
            "skipEmptyDays": {"BOOL": True},
            "language": {"S": "en"},
        },
    )
    settings = reader.for_user("Usettings")

    assert (settings.digest_time, settings.reminder_minutes, settings.time_zone) == (
        "06:30",
        0,
        "Europe/Paris",
    )
    assert (settings.quiet_hours, settings.skip_empty_days) == ("22:00-06:00", True)


def test_linked_google_calendars_lists_every_page_of_thirty(local_stack: EmbeddedStack) -> None:
    add_google_account(local_stack, "thirty@example.com", 30)
    link(local_stack, "Uthirty", "thirty@example.com")
    directory = LinkedGoogleCalendars(tokens(local_stack), CommandSettings())

    calendars = directory.calendars_of("Uthirty")

    assert calendars is not None and len(calendars) == 30
    assert "c_007#team7@group.calendar.google.com" in {c.calendar_id for c in calendars}
    assert directory.calendars_of("Unever-linked") is None


def test_a_revoked_grant_counts_as_not_linked_and_is_reported(
    local_stack: EmbeddedStack,
) -> None:
    add_google_account(local_stack, "revoked@example.com", 2)
    link(local_stack, "Urevoked", "revoked@example.com")
    assert local_stack.google_sandbox is not None
    local_stack.google_sandbox.revoke_account("revoked@example.com")
    reported: list[str] = []

    directory = LinkedGoogleCalendars(
        tokens(local_stack), CommandSettings(), on_revoked=reported.append
    )

    assert directory.calendars_of("Urevoked") is None
    assert reported == ["Urevoked"]


def test_revoking_a_grant_makes_google_refuse_its_token(local_stack: EmbeddedStack) -> None:
    add_google_account(local_stack, "leaving@example.com", 2)
    refresh_token = link(local_stack, "Uleaving", "leaving@example.com")
    grants = RevocableGoogleGrants(tokens(local_stack), CommandSettings().google_revoke_uri)

    grants.revoke("Uleaving")
    grants.revoke("Uleaving")  # already revoked at Google: not an error
    grants.forget("Uleaving")

    assert tokens(local_stack).load("Uleaving") is None
    assert_refused_by_google(refresh_token)


# ---------------------------------------------------------------- whole deliveries


def test_two_events_in_one_body_are_both_answered(local_stack: EmbeddedStack) -> None:
    first = text_event("Utwo-a", "help", reply_token(local_stack, "Utwo-a"))
    second = text_event("Utwo-b", "設定", reply_token(local_stack, "Utwo-b"))

    assert post_events(local_stack, first, second).status_code == 200

    assert settle(local_stack, "Utwo-a", 1)[0]["messages"][0]["text"].startswith("How to use")
    assert "現在の設定" in settle(local_stack, "Utwo-b", 1)[0]["messages"][0]["text"]


def test_the_same_event_delivered_twice_is_answered_once(local_stack: EmbeddedStack) -> None:
    event = text_event("Utwice", "help", reply_token(local_stack, "Utwice"))
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}

    post_events(local_stack, event)
    post_events(local_stack, redelivered)

    assert len(settle(local_stack, "Utwice", 1, quiet=3)) == 1


def test_a_failed_first_attempt_is_retried_and_answered_once(local_stack: EmbeddedStack) -> None:
    # GIVEN LINE fails the next reply with a 500
    sandbox = f"{local_stack.base_url}/sandbox/line"
    rejected_before = requests.get(f"{sandbox}/stats", timeout=5).json()["rejected"]
    fault = {"path": "/v2/bot/message/reply", "status": 500}
    requests.post(f"{sandbox}/faults", json=fault, timeout=5)
    event = text_event("Uretry", "help", reply_token(local_stack, "Uretry"))

    # WHEN the event arrives, fails, is retried by the queue, and LINE also redelivers it
    post_events(local_stack, event)
    records = settle(local_stack, "Uretry", 1)
    post_events(local_stack, {**event, "deliveryContext": {"isRedelivery": True}})
    time.sleep(2)

    # THEN the first attempt did fail, and the user got exactly one answer
    assert requests.get(f"{sandbox}/stats", timeout=5).json()["rejected"] == rejected_before + 1
    assert len(records) == len(deliveries(local_stack, "Uretry")) == 1
    assert records[0]["messages"][0]["text"].startswith("How to use")


def test_an_expired_reply_token_gets_one_push_with_a_retry_key(
    local_stack: EmbeddedStack,
) -> None:
    sandbox = f"{local_stack.base_url}/sandbox/line"
    requests.post(f"{sandbox}/settings", json={"replyTokenTtlSeconds": 0}, timeout=5)
    try:
        post_events(
            local_stack, text_event("Uexpired", "help", reply_token(local_stack, "Uexpired"))
        )
        records = settle(local_stack, "Uexpired", 1)
    finally:
        requests.post(f"{sandbox}/settings", json={"replyTokenTtlSeconds": 60}, timeout=5)

    assert [r["via"] for r in records] == ["push"]
    assert records[0]["retryKey"]
    assert records[0]["messages"][0]["text"].startswith("How to use")


def test_adding_from_thirty_calendars_through_the_webhook(local_stack: EmbeddedStack) -> None:
    # GIVEN a user linked to a Google account with 30 calendars
    add_google_account(local_stack, "flow@example.com", 30)
    link(local_stack, "Uflow", "flow@example.com")

    # WHEN they send "add" and tap "next" until the last page
    post_events(local_stack, text_event("Uflow", "add", reply_token(local_stack, "Uflow")))
    records = settle(local_stack, "Uflow", 1, quiet=0.5)
    labels: list[str] = []
    while True:
        items = records[-1]["messages"][-1]["quickReply"]["items"]
        actions = [item["action"] for item in items]
        labels += [a["label"] for a in actions if "a=pick" in a["data"]]
        following = [a["data"] for a in actions if "a=page" in a["data"]]
        if not following:
            break
        event = postback_event("Uflow", following[0], reply_token(local_stack, "Uflow"))
        post_events(local_stack, event)
        records = settle(local_stack, "Uflow", len(records) + 1, quiet=0.5)

    # THEN all 30 were offered on buttons LINE accepted (the sandbox checks its limits)
    assert len(labels) == 30

    # WHEN they tap the calendar whose id has # and @ in it
    first_page = deliveries(local_stack, "Uflow")[0]["messages"][-1]["quickReply"]["items"]
    pick = next(i["action"]["data"] for i in first_page if i["action"]["label"].startswith("8."))
    post_events(local_stack, postback_event("Uflow", pick, reply_token(local_stack, "Uflow")))
    records = settle(local_stack, "Uflow", len(records) + 1, quiet=0.5)

    # THEN they are told it is being added
    assert "Team 07" in records[-1]["messages"][0]["text"]


def test_a_group_is_told_once(local_stack: EmbeddedStack) -> None:
    # WHEN two messages are written in a group the bot is in
    for _ in range(2):
        event = text_event("Ugroupmember", "help", reply_token(local_stack, "Cgroup-once"))
        event["source"] = {"type": "group", "groupId": "Cgroup-once", "userId": "Ugroupmember"}
        post_events(local_stack, event)

    # THEN the group heard once that the bot works one-to-one

    records = settle(local_stack, "Cgroup-once", 1, quiet=3)
    assert len(records) == 1
    assert "one-to-one" in records[0]["messages"][0]["text"]


def test_unfollow_revokes_the_grant_and_forgets_the_tokens(local_stack: EmbeddedStack) -> None:
    add_google_account(local_stack, "unfollow@example.com", 2)
    refresh_token = link(local_stack, "Uunfollow", "unfollow@example.com")
    event = {
        "type": "unfollow",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": "Uunfollow"},
        "webhookEventId": "01UNFOLLOW" + str(time.time_ns())[-16:],
        "deliveryContext": {"isRedelivery": False},
    }

    post_events(local_stack, event)

    wait_for(lambda: tokens(local_stack).status("Uunfollow") is None)
    assert_refused_by_google(refresh_token)


def test_the_21st_command_in_a_minute_gets_one_friendly_reply(local_stack: EmbeddedStack) -> None:
    # GIVEN a minute that will not end while the commands are counted (the count is per minute)
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)

    # WHEN a user sends 22 commands at once (LINE may batch them in one body)
    events = [text_event("Uflood", "help", reply_token(local_stack, "Uflood")) for _ in range(22)]
    post_events(local_stack, *events)

    # THEN 20 are answered, one says to wait, and the last gets no answer at all
    records = settle(local_stack, "Uflood", 21, quiet=3)
    texts = [r["messages"][0]["text"] for r in records]
    assert len(texts) == 21
    assert sum(t.startswith("How to use") for t in texts) == 20
    assert sum("wait a minute" in t for t in texts) == 1
