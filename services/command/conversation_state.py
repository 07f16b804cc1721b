"""Adapter: SessionsTable, the command service's short-lived conversation state.

Three kinds of item share the table, told apart by the key's prefix: a user's open menu
(`menu#`), a user's command count for one minute (`usage#`) and the groups already told
that the bot works one-to-one (`group#`). Each carries `expiresAt` for DynamoDB's TTL;
TTL deletes lazily (up to days later), so reads check `expiresAt` themselves.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3

from services.command.domain.ports import CalendarOption, ChoiceFlow, ChoiceSession
from shared.events import Language

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MENU_LIFETIME_SECONDS = 10 * 60
# A group that was told once is remembered this long; LINE ids of groups never repeat.
GROUP_NOTICE_SECONDS = 365 * 24 * 3600

Clock = Callable[[], float]


def _client(client: DynamoDBClient | None) -> DynamoDBClient:
    return client or boto3.client("dynamodb")


class StoredChoiceSessions:
    """One open menu per user; a newer menu replaces the older, whose buttons then expire."""

    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, clock: Clock = time.time
    ) -> None:
        self._table = table_name
        self._client = _client(client)
        self._clock = clock

    def start(
        self, user_id: str, flow: ChoiceFlow, language: Language, options: list[CalendarOption]
    ) -> ChoiceSession:
        session = ChoiceSession(user_id, secrets.token_urlsafe(8), flow, language, tuple(options))
        stored = [[o.calendar_id, o.name, o.is_primary] for o in options]
        self._client.put_item(
            TableName=self._table,
            Item={
                "sessionKey": {"S": f"menu#{user_id}"},
                "key": {"S": session.key},
                "flow": {"S": flow},
                "language": {"S": language},
                "options": {"S": json.dumps(stored, ensure_ascii=False)},
                "expiresAt": {"N": str(int(self._clock()) + MENU_LIFETIME_SECONDS)},
            },
        )
        return session

    def find(self, user_id: str, key: str) -> ChoiceSession | None:
        item = self._client.get_item(
            TableName=self._table,
            Key={"sessionKey": {"S": f"menu#{user_id}"}},
            ConsistentRead=True,
        ).get("Item")
        if item is None or int(item["expiresAt"]["N"]) <= self._clock():
            return None
        if not hmac.compare_digest(item["key"]["S"].encode(), key.encode()):
            return None
        flow: ChoiceFlow = "add" if item["flow"]["S"] == "add" else "remove"
        language: Language = "en" if item["language"]["S"] == "en" else "ja"
        options = tuple(
            CalendarOption(calendar_id, name, bool(primary))
            for calendar_id, name, primary in json.loads(item["options"]["S"])
        )
        return ChoiceSession(user_id, key, flow, language, options)

    def forget_user(self, user_id: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key={"sessionKey": {"S": f"menu#{user_id}"}}
        )


class MinuteCommandCounter:
    """Counts each user's commands per clock minute with an atomic ADD."""

    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, clock: Clock = time.time
    ) -> None:
        self._table = table_name
        self._client = _client(client)
        self._clock = clock

    def count(self, user_id: str) -> int:
        minute = int(self._clock()) // 60
        answer = self._client.update_item(
            TableName=self._table,
            Key={"sessionKey": {"S": f"usage#{user_id}#{minute}"}},
            UpdateExpression="ADD commands :one SET expiresAt = :expires",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":expires": {"N": str((minute + 2) * 60)},
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["commands"]["N"])


class GroupNoticeLedger:
    """Remembers which groups and rooms were told that the bot works one-to-one."""

    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, clock: Clock = time.time
    ) -> None:
        self._table = table_name
        self._client = _client(client)
        self._clock = clock

    def first_time(self, chat_id: str) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "sessionKey": {"S": f"group#{chat_id}"},
                    "expiresAt": {"N": str(int(self._clock()) + GROUP_NOTICE_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(sessionKey)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True
