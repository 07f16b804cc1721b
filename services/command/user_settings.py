"""Adapter: reading UserSettingsTable, which the notification service owns and writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from services.command.domain.ports import NotificationSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class UserSettingsReader:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def for_user(self, user_id: str) -> NotificationSettings:
        item = self._client.get_item(
            TableName=self._table, Key={"userId": {"S": user_id}}, ConsistentRead=True
        ).get("Item", {})
        defaults = NotificationSettings()
        return NotificationSettings(
            digest_time=item.get("digestTime", {}).get("S", defaults.digest_time),
            reminder_minutes=int(
                item.get("reminderMinutes", {}).get("N", defaults.reminder_minutes)
            ),
            time_zone=item.get("timeZone", {}).get("S", defaults.time_zone),
            quiet_hours=item.get("quietHours", {}).get("S") or None,
            skip_empty_days=item.get("skipEmptyDays", {}).get("BOOL", defaults.skip_empty_days),
        )
