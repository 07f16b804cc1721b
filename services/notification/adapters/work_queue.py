"""The notification queue, written ten messages to a SendMessageBatch call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3

from services.notification.work import SendDigest, SendReminders

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_ENTRIES_PER_CALL = 10


class WorkNotQueued(RuntimeError):
    """SQS still refused some messages after every resend."""


class SqsWorkQueue:
    def __init__(
        self,
        queue_url: str,
        client: SQSClient | None = None,
        attempts: int = 4,
        backoff_seconds: float = 0.2,
    ) -> None:
        self._queue_url = queue_url
        self._client = client or boto3.client("sqs")
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds

    def enqueue(self, orders: Sequence[SendDigest | SendReminders]) -> None:
        for start in range(0, len(orders), MAX_ENTRIES_PER_CALL):
            self._send_batch(list(orders[start : start + MAX_ENTRIES_PER_CALL]))

    def _send_batch(self, orders: list[SendDigest | SendReminders]) -> None:
        pending: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": order.model_dump_json()} for i, order in enumerate(orders)
        ]
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff_seconds * 2 ** (attempt - 1))
            answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=pending)
            failed = {f["Id"] for f in answer.get("Failed", [])}
            pending = [entry for entry in pending if entry["Id"] in failed]
            if not pending:
                return
        raise WorkNotQueued(f"{len(pending)} message(s) not queued")
