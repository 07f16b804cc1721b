"""Reading UserCalendarsTable (userId + calendarId). Only the subscription service writes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from shared.subscriptions import SubscribedCalendar

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class UserCalendarsReader:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client = client or boto3.client("dynamodb")

    def for_user(self, user_id: str) -> list[SubscribedCalendar]:
        """Every calendar the user is subscribed to, primary first, then by name."""
        items: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table_name,
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues={":u": {"S": user_id}},
            ConsistentRead=True,
        ):
            items.extend(page.get("Items", []))

        calendars = [
            SubscribedCalendar(
                calendar_id=item["calendarId"]["S"],
                name=item.get("calendarName", {}).get("S", item["calendarId"]["S"]),
                is_primary=item.get("isPrimary", {}).get("BOOL", False),
            )
            for item in items
        ]
        return sorted(calendars, key=lambda c: (not c.is_primary, c.name))
