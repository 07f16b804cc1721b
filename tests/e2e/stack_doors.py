"""Arranging a running local stack from outside, as a test would on a real one: link a user
to a Google sandbox account, give them subscriptions, and watch what reaches the bus."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import requests

from shared.repositories.oauth_tokens import OAuthTokens


class StackDoors:
    def __init__(self, stack_url: str) -> None:
        self.url = stack_url
        description = requests.get(f"{stack_url}/sandbox/stack", timeout=5).json()["stack"]
        self.resources: dict[str, str] = description["resources"]
        self._aws = {
            "endpoint_url": description["endpoint_url"],
            "region_name": description["region"],
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        worker = next(
            f for f in description["functions"] if f["logical_id"] == "CommandWorkerFunction"
        )
        self._token_key = worker["environment"]["TOKEN_KEY_ID"]

    def client(self, service: str) -> Any:
        return boto3.client(service, **self._aws)

    def link_google(self, user_id: str, email: str, calendars: list[dict[str, Any]]) -> None:
        """Give the Google sandbox an account with these calendars and link `user_id` to it."""
        data = requests.get(f"{self.url}/sandbox/google/sandbox-data", timeout=5).json()
        data["accounts"][email] = {"calendarList": calendars, "events": {}}
        put = requests.put(f"{self.url}/sandbox/google/sandbox-data", json=data, timeout=5)
        put.raise_for_status()
        grant = requests.post(f"{self.url}/sandbox/google/accounts/{email}/grants", timeout=5)
        grant.raise_for_status()
        tokens = OAuthTokens(
            self.resources["OAuthTokensTable"],
            self._token_key,
            dynamodb=self.client("dynamodb"),
            kms=self.client("kms"),
            actor="e2e",
        )
        tokens.store(user_id, grant.json()["refresh_token"])

    def subscribe(self, user_id: str, calendar_id: str, name: str, primary: bool = False) -> None:
        """A subscription as the subscription service keeps it."""
        self.client("dynamodb").put_item(
            TableName=self.resources["UserCalendarsTable"],
            Item={
                "userId": {"S": user_id},
                "calendarId": {"S": calendar_id},
                "calendarName": {"S": name},
                "isPrimary": {"BOOL": primary},
            },
        )


class BusProbe:
    """A queue that receives a copy of every event the command service publishes."""

    def __init__(self, doors: StackDoors) -> None:
        self._sqs = doors.client("sqs")
        name = f"e2e-probe-{uuid.uuid4().hex[:8]}"
        self._queue = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._queue, AttributeNames=["QueueArn"])
        events = doors.client("events")
        bus = doors.resources["EventBus"]
        events.put_rule(Name=name, EventBusName=bus, EventPattern='{"source":["linecal.command"]}')
        events.put_targets(
            Rule=name,
            EventBusName=bus,
            Targets=[{"Id": "probe", "Arn": arn["Attributes"]["QueueArn"]}],
        )
        self._seen: list[dict[str, Any]] = []

    def published(self, user_id: str, detail_type: str) -> list[dict[str, Any]]:
        """The `detail` of each event of this type about this user received so far."""
        while True:
            answer = self._sqs.receive_message(
                QueueUrl=self._queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                self._seen.append(json.loads(message["Body"]))
                self._sqs.delete_message(
                    QueueUrl=self._queue, ReceiptHandle=message["ReceiptHandle"]
                )
        return [
            e["detail"]
            for e in self._seen
            if e["detail-type"] == detail_type and e["detail"].get("user_id") == user_id
        ]


def calendar_entries(email: str, shared: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """calendarList entries in Google's shape: the primary calendar, then `shared` (id, name)."""
    primary = {
        "kind": "calendar#calendarListEntry",
        "id": email,
        "summary": email,
        "timeZone": "Asia/Tokyo",
        "accessRole": "owner",
        "primary": True,
    }
    return [primary] + [
        {
            "kind": "calendar#calendarListEntry",
            "id": calendar_id,
            "summary": name,
            "timeZone": "Asia/Tokyo",
            "accessRole": "reader",
        }
        for calendar_id, name in shared
    ]
