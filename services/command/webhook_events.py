"""Adapter: WebhookEventsTable, so that each LINE webhook event is answered once.

LINE may deliver an event more than once (`isRedelivery`), and SQS may hand a message to
the worker again. The worker claims the event's `webhookEventId` with a conditional write
before acting: a duplicate finds it claimed and is dropped. A claim that failed is
released, and one whose worker died holds only for a lease shorter than the queue's
visibility timeout, so a redelivery of an event that was never answered is answered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PROCESSING = "processing"
DONE = "done"
# Longer than the worker's 30 s timeout, shorter than the queue's 180 s visibility timeout.
LEASE_SECONDS = 60
# Longer than SQS keeps a message (4 days by default), so no retry outlives its claim.
REMEMBER_SECONDS = 7 * 24 * 3600


class WebhookEventClaims:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")
        self._clock = clock

    def claim(self, webhook_event_id: str) -> bool:
        """True when this caller may answer the event; False for a duplicate."""
        now = int(self._clock())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "webhookEventId": {"S": webhook_event_id},
                    "state": {"S": PROCESSING},
                    "leaseUntil": {"N": str(now + LEASE_SECONDS)},
                    "expiresAt": {"N": str(now + REMEMBER_SECONDS)},
                },
                ConditionExpression=(
                    "attribute_not_exists(webhookEventId)"
                    " OR (#state = :processing AND leaseUntil < :now)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":processing": {"S": PROCESSING},
                    ":now": {"N": str(now)},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def complete(self, webhook_event_id: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"webhookEventId": {"S": webhook_event_id}},
            UpdateExpression="SET #state = :done REMOVE leaseUntil",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":done": {"S": DONE}},
        )

    def release(self, webhook_event_id: str) -> None:
        """Give up a claim after a failure, so that the retry can take it."""
        # Conditional, so that a claim already marked done is never given up.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.delete_item(
                TableName=self._table,
                Key={"webhookEventId": {"S": webhook_event_id}},
                ConditionExpression="#state = :processing",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":processing": {"S": PROCESSING}},
            )
