"""Builders for the operator tests: a stack of their own in the emulator, users, a queue reader."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from typing import Any

from linecal.local.stack import deploy_local_stack
from linecal.target import StackTarget

_numbers = itertools.count(1)


def own_stack(endpoint_url: str) -> StackTarget:
    """A copy of the template with no functions polling it, so a test can read its queues
    itself and its tables hold only what it wrote."""
    n = next(_numbers)
    deployed = deploy_local_stack(
        endpoint_url,
        stack_name=f"linecal-operator-{n}",
        parameters={"Stage": f"operator{n}"},
    )
    return StackTarget(
        description=f"operator test stack {n}",
        region=deployed.region,
        resources=dict(deployed.resources),
        endpoint_url=deployed.endpoint_url,
    )


def line_user_id(n: int) -> str:
    return f"U{n:032x}"


def seed_users(target: StackTarget, numbers: range, status: str = "linked") -> None:
    """Token rows written straight into the table: the migration reads only id and status."""
    dynamodb = target.client("dynamodb")
    table = target.resource("OAuthTokensTable")
    items = [
        {
            "userId": {"S": line_user_id(n)},
            "sealedToken": {"B": b"sealed"},
            "nonce": {"B": b"n" * 12},
            "encryptedDataKey": {"B": b"key"},
            "status": {"S": status},
            "linkedAt": {"S": "2026-01-01T00:00:00+00:00"},
        }
        for n in numbers
    ]
    for start in range(0, len(items), 25):
        request: dict[str, Any] = {
            table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        }
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def put_primary_row(target: StackTarget, n: int) -> None:
    target.client("dynamodb").put_item(
        TableName=target.resource("UserCalendarsTable"),
        Item={
            "userId": {"S": line_user_id(n)},
            "calendarId": {"S": f"user{n}@example.com"},
            "calendarName": {"S": "primary"},
            "isPrimary": {"BOOL": True},
        },
    )


class QueueReader:
    """Reads and deletes a queue's messages in the background while a test runs, as a
    consumer would (moto's SQS slows down as a queue grows), and counts them."""

    def __init__(self, target: StackTarget, logical_id: str) -> None:
        self._sqs = target.client("sqs")
        self._url = target.resource(logical_id)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> QueueReader:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        # NOTE: no long polling: moto holds the queue while a receive waits, which stalls
        # the sends the test is producing.
        while not self._stop.is_set():
            if self.read_once() == 0:
                self._stop.wait(0.2)

    def read_once(self, wait_seconds: int = 0) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if messages:
            with self._lock:
                self.bodies.extend(json.loads(m["Body"]) for m in messages)
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
        return len(messages)

    def drain(self) -> None:
        """Read until the queue has been empty three reads in a row."""
        empty = 0
        while empty < 3:
            if self.read_once() == 0:
                empty += 1
                time.sleep(0.5)
            else:
                empty = 0

    def users(self, detail_type: str) -> Counter[str]:
        with self._lock:
            return Counter(
                b["detail"]["user_id"] for b in self.bodies if b["detail-type"] == detail_type
            )


class RuleLog:
    """Points a rule at a CloudWatch log group instead of its queue, to count what the rule
    routes in bulk: moto's SQS costs tens of milliseconds a message once it holds a few,
    which would make a 2,500-user run take minutes. Same rule, same pattern."""

    def __init__(self, target: StackTarget, rule_logical_id: str) -> None:
        self._events = target.client("events")
        self._logs = target.client("logs")
        self._bus = target.resource("EventBus")
        self._rule = target.resource(rule_logical_id).split("|")[-1].rsplit("/", 1)[-1]
        self.group = f"/linecal/test/{self._rule}"
        self._logs.create_log_group(logGroupName=self.group)
        group_arn = f"arn:aws:logs:{target.region}:123456789012:log-group:{self.group}"
        current = self._events.list_targets_by_rule(Rule=self._rule, EventBusName=self._bus)
        self._events.remove_targets(
            Rule=self._rule, EventBusName=self._bus, Ids=[t["Id"] for t in current["Targets"]]
        )
        self._events.put_targets(
            Rule=self._rule, EventBusName=self._bus, Targets=[{"Id": "log", "Arn": group_arn}]
        )

    def bodies(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self._logs.get_paginator("filter_log_events").paginate(logGroupName=self.group):
            found.extend(json.loads(e["message"]) for e in page["events"])
        return found

    def users(self, detail_type: str) -> Counter[str]:
        return Counter(
            b["detail"]["user_id"] for b in self.bodies() if b["detail-type"] == detail_type
        )
