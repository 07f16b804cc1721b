"""Before and after the migration: what the tables hold, and who still lacks a primary row.

Both read whole tables in streamed parallel scans and keep user ids in on-disk sets, so
their memory does not grow with the number of users.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from linecal.operations.dynamodb_users import (
    TOKEN_ROW_PROJECTION,
    primary_calendar_users,
    scan_pages,
    token_row,
)
from linecal.operations.user_sets import DiskUserSet

OnScanned = Callable[[int], None]


@dataclass
class PreCheck:
    token_rows: int = 0
    linked: int = 0
    revoked: int = 0
    other_status: int = 0
    # Rows whose userId is not a LINE user id, or that carry no sealed token.
    invalid_rows: int = 0
    linked_with_primary: int = 0
    calendar_users_without_token: int = 0

    @property
    def to_migrate(self) -> int:
        return self.linked - self.linked_with_primary

    @property
    def integrity_problems(self) -> int:
        return self.invalid_rows + self.revoked + self.calendar_users_without_token


def pre_check(
    dynamodb: Any, tokens_table: str, calendars_table: str, on_scanned: OnScanned | None = None
) -> PreCheck:
    """Count users, primary rows and integrity problems. Reads only."""
    report = PreCheck()
    scanned = on_scanned or (lambda _: None)
    with DiskUserSet() as token_users, DiskUserSet() as primaries, DiskUserSet() as orphans:
        primary_calendar_users(dynamodb, calendars_table, primaries)

        request = {"TableName": tokens_table, **TOKEN_ROW_PROJECTION}
        for page in scan_pages(dynamodb, request):
            rows = [token_row(item) for item in page]
            token_users.add(r.user_id for r in rows)
            linked = [r.user_id for r in rows if r.is_linked]
            report.token_rows += len(rows)
            report.linked += len(linked)
            report.invalid_rows += sum(1 for r in rows if not r.is_valid)
            report.revoked += sum(1 for r in rows if r.is_valid and r.status == "revoked")
            report.other_status += sum(
                1 for r in rows if r.is_valid and r.status not in ("linked", "revoked")
            )
            report.linked_with_primary += len(primaries.present(linked))
            scanned(len(rows))

        request = {"TableName": calendars_table, "ProjectionExpression": "userId"}
        for page in scan_pages(dynamodb, request):
            users = list({item["userId"]["S"] for item in page})
            orphans.add(set(users) - token_users.present(users))
        report.calendar_users_without_token = len(orphans)
    return report


def users_without_primary(
    dynamodb: Any, tokens_table: str, calendars_table: str, on_scanned: OnScanned | None = None
) -> Iterator[str]:
    """Every linked user with no primary row, streamed."""
    scanned = on_scanned or (lambda _: None)
    with DiskUserSet() as primaries:
        primary_calendar_users(dynamodb, calendars_table, primaries)
        request = {"TableName": tokens_table, **TOKEN_ROW_PROJECTION}
        for page in scan_pages(dynamodb, request):
            linked = [r.user_id for r in map(token_row, page) if r.is_linked]
            with_primary = primaries.present(linked)
            yield from (u for u in linked if u not in with_primary)
            scanned(len(page))


def queue_backlog(sqs: Any, queue_url: str) -> int:
    """Messages waiting in or being processed from a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_until_drained(
    sqs: Any,
    queue_url: str,
    timeout_seconds: float,
    on_backlog: Callable[[int], None] | None = None,
    settle_polls: int = 3,
    poll_seconds: float = 1.0,
) -> bool:
    """True once the queue has been empty for `settle_polls` polls in a row.

    SQS counts are approximate and a rule delivers a moment after PutEvents, so one empty
    reading is not trusted.
    """
    deadline = time.monotonic() + timeout_seconds
    empty_in_a_row = 0
    while time.monotonic() < deadline:
        backlog = queue_backlog(sqs, queue_url)
        if on_backlog:
            on_backlog(backlog)
        empty_in_a_row = empty_in_a_row + 1 if backlog == 0 else 0
        if empty_in_a_row >= settle_polls:
            return True
        time.sleep(poll_seconds)
    return False
