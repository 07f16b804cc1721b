"""Adapter: UserCalendarsTable, written only by the subscription service.

Rows keep the shape `shared.repositories.user_calendars` reads (userId, calendarId,
calendarName, isPrimary, subscribedAt) plus two fields for safe retries: the event that
created the row (`subscribedBy`) and whether the user was told (`confirmed`).
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3

from services.subscription.domain.subscriptions import Subscription

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import WriteRequestTypeDef

# BatchWriteItem takes at most 25 requests a call.
_BATCH_LIMIT = 25
_BATCH_ATTEMPTS = 5


class UserCalendarsTable:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client = client or boto3.client("dynamodb")

    @staticmethod
    def _key(user_id: str, calendar_id: str) -> dict[str, Any]:
        return {"userId": {"S": user_id}, "calendarId": {"S": calendar_id}}

    def find(self, user_id: str, calendar_id: str) -> Subscription | None:
        item = self._client.get_item(
            TableName=self._table_name, Key=self._key(user_id, calendar_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return Subscription(
            user_id=user_id,
            calendar_id=calendar_id,
            name=item.get("calendarName", {}).get("S", calendar_id),
            is_primary=item.get("isPrimary", {}).get("BOOL", False),
            subscribed_at=datetime.fromisoformat(item["subscribedAt"]["S"]),
            subscribed_by=item.get("subscribedBy", {}).get("S"),
            # Rows written before confirmations were tracked count as told.
            confirmed=item.get("confirmed", {}).get("BOOL", True),
        )

    def count(self, user_id: str) -> int:
        total = 0
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table_name,
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues={":u": {"S": user_id}},
            Select="COUNT",
            ConsistentRead=True,
        ):
            total += page.get("Count", 0)
        return total

    def add(self, subscription: Subscription) -> bool:
        item: dict[str, Any] = {
            **self._key(subscription.user_id, subscription.calendar_id),
            "calendarName": {"S": subscription.name},
            "isPrimary": {"BOOL": subscription.is_primary},
            "subscribedAt": {"S": subscription.subscribed_at.isoformat()},
            "confirmed": {"BOOL": subscription.confirmed},
        }
        if subscription.subscribed_by:
            item["subscribedBy"] = {"S": subscription.subscribed_by}
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(calendarId)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_confirmed(self, user_id: str, calendar_id: str) -> None:
        # A row removed meanwhile has nothing left to mark.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self._table_name,
                Key=self._key(user_id, calendar_id),
                UpdateExpression="SET confirmed = :true",
                ConditionExpression="attribute_exists(calendarId)",
                ExpressionAttributeValues={":true": {"BOOL": True}},
            )

    def remove(self, user_id: str, calendar_id: str, subscribed_at: datetime) -> bool:
        try:
            self._client.delete_item(
                TableName=self._table_name,
                Key=self._key(user_id, calendar_id),
                ConditionExpression="subscribedAt = :at",
                ExpressionAttributeValues={":at": {"S": subscribed_at.isoformat()}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def remove_all(self, user_id: str) -> int:
        keys: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table_name,
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues={":u": {"S": user_id}},
            ProjectionExpression="userId, calendarId",
            ConsistentRead=True,
        ):
            keys.extend(page.get("Items", []))

        for start in range(0, len(keys), _BATCH_LIMIT):
            pending: list[WriteRequestTypeDef] = [
                {"DeleteRequest": {"Key": key}} for key in keys[start : start + _BATCH_LIMIT]
            ]
            for attempt in range(_BATCH_ATTEMPTS):
                if attempt:
                    time.sleep(0.1 * 2**attempt)
                answer = self._client.batch_write_item(RequestItems={self._table_name: pending})
                unprocessed = answer.get("UnprocessedItems", {}).get(self._table_name, [])
                pending = [
                    {"DeleteRequest": {"Key": r["DeleteRequest"]["Key"]}} for r in unprocessed
                ]
                if not pending:
                    break
            else:
                raise RuntimeError(f"{len(pending)} calendar rows could not be deleted")
        return len(keys)
