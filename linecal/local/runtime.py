"""Running the template's functions in this process, as Lambda would on AWS.

moto cannot execute Lambda code, so the local stack imports each handler and calls it:
for HTTP routes when a request arrives, for SQS event sources from a poller that behaves
like Lambda's event source mapping (batch size from the template, `batchItemFailures`
honoured), and for schedules from a timer.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3

from linecal.local.stack import LocalFunction, SqsEventSource

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger("linecal.local")

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionInvoker:
    """Imports each handler once (a warm container) and invokes it with a fresh context."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def handler_for(self, function: LocalFunction) -> Handler:
        with self._lock:
            if function.handler not in self._handlers:
                module_name, _, attribute = function.handler.rpartition(".")
                module = importlib.import_module(module_name)
                self._handlers[function.handler] = getattr(module, attribute)
            return self._handlers[function.handler]

    def invoke(self, function: LocalFunction, event: dict[str, Any]) -> Any:
        context = LocalLambdaContext(function.logical_id, function.timeout_seconds)
        return self.handler_for(function)(event, context)


def sqs_record(message: MessageTypeDef, source: SqsEventSource, region: str) -> dict[str, Any]:
    """An SQS message in the shape Lambda's event source mapping hands to a function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source.queue_arn,
        "awsRegion": region,
    }


class SqsEventSourcePoller:
    """Lambda's SQS event source mapping for one function and one queue.

    Records the function reports as failed (or all of them, if it raises) are made
    visible again after `retry_delay_seconds` rather than the queue's visibility timeout,
    so that a local poison message reaches its DLQ in seconds, through the queue's own
    redrive policy, instead of after minutes.
    """

    def __init__(
        self,
        invoker: FunctionInvoker,
        function: LocalFunction,
        source: SqsEventSource,
        region: str,
        retry_delay_seconds: int = 1,
        client: SQSClient | None = None,
    ) -> None:
        self._invoker = invoker
        self._function = function
        self._source = source
        self._region = region
        self._retry_delay_seconds = retry_delay_seconds
        self._sqs = client or boto3.client("sqs", region_name=region)

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Receive one batch, invoke the function with it, settle it; returns its size."""
        answer = self._sqs.receive_message(
            QueueUrl=self._source.queue_url,
            MaxNumberOfMessages=min(self._source.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0

        event = {"Records": [sqs_record(m, self._source, self._region) for m in messages]}
        failed = self._invoke(event, [m["MessageId"] for m in messages])

        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self._source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_delay_seconds,
                )
        return len(messages)

    def _invoke(self, event: dict[str, Any], message_ids: list[str]) -> set[str]:
        try:
            result = self._invoker.invoke(self._function, event)
        except Exception:
            log.exception("%s failed its whole batch", self._function.logical_id)
            return set(message_ids)

        if not self._source.report_batch_item_failures:
            return set()
        failures = (result or {}).get("batchItemFailures", [])
        return {str(f["itemIdentifier"]) for f in failures}

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # The emulator going away at shutdown, or a transient error: keep polling.
                if stop.wait(0.5):
                    return


def scheduled_event(rule_name: str, at: datetime | None = None) -> dict[str, Any]:
    """The event EventBridge Scheduler's classic rules send to a function on a schedule."""
    moment = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": moment,
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule_name}"],
        "detail": {},
    }


def schedule_period_seconds(expression: str) -> float | None:
    """Seconds between runs of a `rate(...)` expression; None for cron (not run locally)."""
    if not expression.startswith("rate(") or not expression.endswith(")"):
        return None
    amount, _, unit = expression[5:-1].partition(" ")
    scale = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
    return float(amount) * scale.get(unit, 60)
