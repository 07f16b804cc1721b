"""The default-calendar migration against the emulator: events reach the subscription queue
once per user, through staged, full, interrupted and resumed runs."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linecal.local.moto_process import MotoProcess
from linecal.operations.default_calendars import migrate_default_calendars, migrate_named_users
from linecal.operations.dynamodb_users import backup_tables, restore_table, scan_pages
from linecal.operations.migration import MigrationOptions
from linecal.operations.migration_checks import pre_check, users_without_primary
from linecal.target import StackTarget
from tests.integration.operator_stacks import (
    QueueReader,
    RuleLog,
    line_user_id,
    own_stack,
    put_primary_row,
    seed_users,
)

EVENT = "UserNeedsDefaultCalendar"


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    # Bulk runs get an emulator process of their own: sharing the embedded stack's
    # interpreter lock with its pollers makes 2,500 users take minutes.
    with MotoProcess() as moto:
        yield moto.endpoint_url


@pytest.fixture
def stack(emulator: str) -> StackTarget:
    return own_stack(emulator)


def test_a_staged_run_of_5_then_a_full_run_reach_2500_users_once_each(
    stack: StackTarget, tmp_path: Path
) -> None:
    # GIVEN 2,500 linked users, 20 revoked ones, and 30 who already have a primary calendar
    seed_users(stack, range(2500))
    seed_users(stack, range(5000, 5020), status="revoked")
    for n in range(30):
        put_primary_row(stack, n)
    checkpoint = tmp_path / "checkpoint.json"
    routed = RuleLog(stack, "SubscriptionRule")

    # WHEN a staged run of 5 runs, then the full run
    staged = migrate_default_calendars(stack, MigrationOptions(limit=5), checkpoint)
    full = migrate_default_calendars(stack, MigrationOptions(), checkpoint)

    # THEN the subscription rule routed one event to each linked user without a primary row
    assert staged.published == 5
    assert full.complete and full.published == 2470 - 5
    assert_one_event_each(routed.bodies(), {line_user_id(n) for n in range(30, 2500)})


def test_a_run_stopped_half_way_and_resumed_misses_and_doubles_no_one(
    stack: StackTarget, tmp_path: Path
) -> None:
    seed_users(stack, range(600))
    checkpoint = tmp_path / "checkpoint.json"

    with QueueReader(stack, "SubscriptionQueue") as queue:
        # GIVEN a run whose connection to the bus breaks after 25 PutEvents calls
        broken = migrate_default_calendars(
            stack, MigrationOptions(), checkpoint, events_client=BreaksAfter(stack, calls=25)
        )
        # WHEN it is started again
        resumed = migrate_default_calendars(stack, MigrationOptions(), checkpoint)
        queue.drain()

    # THEN the first stopped part-way, and together they reached each user once
    assert broken.errors and 0 < broken.published < 600
    assert resumed.complete and broken.published + resumed.published == 600
    assert_one_event_each(queue.bodies, {line_user_id(n) for n in range(600)})


def assert_one_event_each(bodies: list[dict[str, Any]], users: set[str]) -> None:
    """Each user has exactly one event (one event id), and no one else has any.

    PutEvents is at-least-once (the SDK retries a call whose answer was lost), so the
    same event may be delivered twice; consumers drop the copy by its event id. More
    than one batch of copies would mean the tool itself resent.
    """
    ids: dict[str, set[str]] = {}
    for body in bodies:
        assert body["detail-type"] == EVENT and body["source"] == "linecal.operator"
        ids.setdefault(body["detail"]["user_id"], set()).add(body["detail"]["event_id"])
    assert set(ids) == users
    assert all(len(event_ids) == 1 for event_ids in ids.values())
    assert len(bodies) - len(users) <= 10


def test_named_users_get_events_and_unknown_names_are_reported(stack: StackTarget) -> None:
    seed_users(stack, range(10))
    put_primary_row(stack, 1)

    with QueueReader(stack, "SubscriptionQueue") as queue:
        report, unknown = migrate_named_users(
            stack, [line_user_id(0), line_user_id(1), line_user_id(999)], MigrationOptions()
        )
        queue.drain()

    assert unknown == [line_user_id(999)]
    assert report.published == 1 and report.already_primary == 1
    assert queue.users(EVENT) == Counter({line_user_id(0): 1})


def test_a_scan_whose_pages_come_back_empty_still_reaches_every_item(stack: StackTarget) -> None:
    # GIVEN a filter that only the last few of 300 users match: most pages come back empty
    seed_users(stack, range(300))
    wanted = {line_user_id(n) for n in range(290, 300)}
    request = {
        "TableName": stack.resource("OAuthTokensTable"),
        "Limit": 10,
        "FilterExpression": "userId IN (" + ", ".join(f":u{i}" for i in range(10)) + ")",
        "ExpressionAttributeValues": {f":u{i}": {"S": u} for i, u in enumerate(sorted(wanted))},
    }

    # WHEN the parallel scan is read to its end
    pages = list(scan_pages(stack.client("dynamodb"), request))

    # THEN empty pages were followed, and every matching user was found
    assert sum(1 for p in pages if not p) > 10
    assert {item["userId"]["S"] for p in pages for item in p} == wanted


def test_check_counts_users_and_finds_integrity_problems(stack: StackTarget) -> None:
    seed_users(stack, range(40))
    seed_users(stack, range(100, 103), status="revoked")
    for n in range(10):
        put_primary_row(stack, n)
    put_primary_row(stack, 777)  # calendars of a user who has no token row

    report = pre_check(
        stack.client("dynamodb"),
        stack.resource("OAuthTokensTable"),
        stack.resource("UserCalendarsTable"),
    )

    assert (report.token_rows, report.linked, report.revoked) == (43, 40, 3)
    assert (report.linked_with_primary, report.to_migrate) == (10, 30)
    assert report.calendar_users_without_token == 1


def test_verify_lists_exactly_the_linked_users_without_a_primary_row(stack: StackTarget) -> None:
    seed_users(stack, range(20))
    for n in range(20):
        if n not in (3, 11):
            put_primary_row(stack, n)

    missing = users_without_primary(
        stack.client("dynamodb"),
        stack.resource("OAuthTokensTable"),
        stack.resource("UserCalendarsTable"),
    )

    assert sorted(missing) == [line_user_id(3), line_user_id(11)]


def test_a_backup_restores_both_tables(stack: StackTarget, tmp_path: Path) -> None:
    # GIVEN a backup of both tables
    seed_users(stack, range(60))
    put_primary_row(stack, 5)
    dynamodb = stack.client("dynamodb")
    tables = {k: stack.resource(k) for k in ("OAuthTokensTable", "UserCalendarsTable")}
    results = backup_tables(dynamodb, tables, tmp_path)
    before = dynamodb.get_item(
        TableName=tables["OAuthTokensTable"], Key={"userId": {"S": line_user_id(7)}}
    )["Item"]

    # WHEN rows are lost and the backup is restored
    dynamodb.delete_item(
        TableName=tables["OAuthTokensTable"], Key={"userId": {"S": line_user_id(7)}}
    )
    dynamodb.delete_item(
        TableName=tables["UserCalendarsTable"],
        Key={"userId": {"S": line_user_id(5)}, "calendarId": {"S": "user5@example.com"}},
    )
    for result in results:
        restore_table(dynamodb, tables[result.logical_id], tmp_path / result.export_file)

    # THEN they are back byte for byte, and an on-demand backup was taken where supported
    after = dynamodb.get_item(
        TableName=tables["OAuthTokensTable"], Key={"userId": {"S": line_user_id(7)}}
    )["Item"]
    assert after == before
    assert [r.items for r in results] == [60, 1]
    assert all(r.backup_arn for r in results)
    assert (tmp_path / "manifest.json").exists()


class BreaksAfter:
    """An EventBridge client whose connection breaks after some PutEvents calls."""

    def __init__(self, stack: StackTarget, calls: int) -> None:
        self._client = stack.client("events")
        self._left = calls
        self._lock = threading.Lock()

    def put_events(self, **request: Any) -> Any:
        with self._lock:
            if self._left <= 0:
                raise ConnectionResetError("connection reset by peer")
            self._left -= 1
        return self._client.put_events(**request)
