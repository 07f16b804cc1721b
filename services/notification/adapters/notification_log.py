"""NotificationLogTable: one row per notification, claimed before sending, marked after."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Rows outlive any SQS retry, redrive or replay window (the bus archive keeps 30 days).
KEEP_SECONDS = 40 * 24 * 3600
_FINAL = ("sent", "skipped")


class NotificationLogTable:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def status(self, key: str) -> str | None:
        item = self._client.get_item(
            TableName=self._table,
            Key={"notificationKey": {"S": key}},
            ConsistentRead=True,
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
        ).get("Item")
        return item["status"]["S"] if item else None

    def claim(self, key: str) -> bool:
        now = int(time.time())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "notificationKey": {"S": key},
                    "status": {"S": "sending"},
                    "claimedAt": {"N": str(now)},
                    "expiresAt": {"N": str(now + KEEP_SECONDS)},
                },
                # A claim left by an attempt that failed before LINE answered may be taken
                # again: the retry key keeps LINE from delivering twice.
                ConditionExpression="attribute_not_exists(notificationKey) "
                "OR NOT (#s IN (:sent, :skipped))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":sent": {"S": _FINAL[0]}, ":skipped": {"S": _FINAL[1]}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record(self, key: str, status: str) -> None:
        now = int(time.time())
        self._client.put_item(
            TableName=self._table,
            Item={
                "notificationKey": {"S": key},
                "status": {"S": status},
                "recordedAt": {"N": str(now)},
                "expiresAt": {"N": str(now + KEEP_SECONDS)},
            },
        )
