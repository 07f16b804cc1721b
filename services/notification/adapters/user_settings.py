"""UserSettingsTable: each user's notification preferences and when they are next due.

`digestMinute` ("HH:MM" UTC) is the key of the `by-digest-minute` index; `reminderMinute`
("YYYY-MM-DDTHH:MM" UTC, absent when reminders are off) is the key of the sparse
`by-reminder-minute` index. The minute tick queries both, so it never reads every user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import time
from typing import TYPE_CHECKING, Any, cast

import boto3

from services.notification.domain.preferences import (
    Language,
    NotificationPreferences,
    parse_quiet_hours,
)
from services.notification.ports import UserRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

DIGEST_INDEX = "by-digest-minute"
REMINDER_INDEX = "by-reminder-minute"


def _preference_values(preferences: NotificationPreferences) -> dict[str, AttributeValueTypeDef]:
    quiet = preferences.quiet_hours
    return {
        ":digestTime": {"S": f"{preferences.digest_time:%H:%M}"},
        ":timeZone": {"S": preferences.time_zone},
        ":reminderMinutes": {"N": str(preferences.reminder_minutes)},
        ":quietHours": {"S": str(quiet) if quiet else ""},
        ":skipEmptyDays": {"BOOL": preferences.skip_empty_days},
        ":language": {"S": preferences.language},
    }


_PREFERENCE_ATTRIBUTES = (
    "digestTime",
    "timeZone",
    "reminderMinutes",
    "quietHours",
    "skipEmptyDays",
    "language",
    "digestMinute",
)
# Every name goes through ExpressionAttributeNames: several are DynamoDB reserved words.
_SET_PREFERENCES = "SET " + ", ".join(f"#{name} = :{name}" for name in _PREFERENCE_ATTRIBUTES)
_PREFERENCE_NAMES = {f"#{name}": name for name in _PREFERENCE_ATTRIBUTES}


class UserSettingsTable:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def get(self, user_id: str) -> UserRecord | None:
        item = self._client.get_item(
            TableName=self._table, Key={"userId": {"S": user_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        hour, minute = item.get("digestTime", {}).get("S", "07:00").split(":")
        preferences = NotificationPreferences(
            digest_time=time(int(hour), int(minute)),
            time_zone=item.get("timeZone", {}).get("S", "Asia/Tokyo"),
            reminder_minutes=int(item.get("reminderMinutes", {}).get("N", "10")),
            quiet_hours=parse_quiet_hours(item.get("quietHours", {}).get("S")),
            skip_empty_days=item.get("skipEmptyDays", {}).get("BOOL", False),
            language=cast(Language, item.get("language", {}).get("S", "ja")),
        )
        return UserRecord(user_id, preferences, item.get("revokedLink", {}).get("S"))

    def create_default(
        self, user_id: str, preferences: NotificationPreferences, digest_minute: str
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"userId": {"S": user_id}},
                UpdateExpression=_SET_PREFERENCES,
                ConditionExpression="attribute_not_exists(userId)",
                ExpressionAttributeNames=_PREFERENCE_NAMES,
                ExpressionAttributeValues={
                    **_preference_values(preferences),
                    ":digestMinute": {"S": digest_minute},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def save_preferences(
        self, user_id: str, preferences: NotificationPreferences, digest_minute: str
    ) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"userId": {"S": user_id}},
            UpdateExpression=_SET_PREFERENCES,
            ExpressionAttributeNames=_PREFERENCE_NAMES,
            ExpressionAttributeValues={
                **_preference_values(preferences),
                ":digestMinute": {"S": digest_minute},
            },
        )

    def set_digest_minute(self, user_id: str, digest_minute: str) -> None:
        self._set(user_id, "digestMinute", digest_minute)

    def set_reminder_wake(self, user_id: str, minute: str | None) -> None:
        self._set(user_id, "reminderMinute", minute)

    def set_revoked_link(self, user_id: str, linked_at: str | None) -> None:
        self._set(user_id, "revokedLink", linked_at)

    def delete(self, user_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key={"userId": {"S": user_id}})

    def _set(self, user_id: str, attribute: str, value: str | None) -> None:
        """Set or remove one attribute of an existing row (never creates a row)."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"userId": {"S": user_id}},
            "ConditionExpression": "attribute_exists(userId)",
            "ExpressionAttributeNames": {"#a": attribute},
        }
        if value is None:
            arguments["UpdateExpression"] = "REMOVE #a"
        else:
            arguments["UpdateExpression"] = "SET #a = :v"
            arguments["ExpressionAttributeValues"] = {":v": {"S": value}}
        # The user may have unfollowed meanwhile: then there is nothing to keep for them.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(**arguments)


class DueUsersIndex:
    """The users due at a minute, a page of the index at a time."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def digest_due(self, digest_minute: str) -> Iterator[str]:
        return self._query(DIGEST_INDEX, "digestMinute", digest_minute)

    def reminders_due(self, minute: str) -> Iterator[str]:
        return self._query(REMINDER_INDEX, "reminderMinute", minute)

    def _query(self, index: str, attribute: str, value: str) -> Iterator[str]:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            IndexName=index,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": attribute},
            ExpressionAttributeValues={":v": {"S": value}},
        ):
            for item in page.get("Items", []):
                yield item["userId"]["S"]
