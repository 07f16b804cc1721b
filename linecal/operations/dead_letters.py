"""Dead-letter queues: how deep, what is in them, and moving messages back to their source.

A DLQ message is the EventBridge envelope the consumer could not handle, unchanged. Why
it failed is in the consumer's log (`shared.consumer` logs the exception type with the
event id); what can be read from the message itself is shown: its envelope, how often it
was received, and whether it is even a readable event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from shared.envelope import event_from_sqs_body
from shared.events import UnknownEventType, UserEvent
from shared.observability import hash_user_id

# A peeked or moving message is hidden this long; if the tool dies, it reappears by itself.
DEFAULT_HOLD_SECONDS = 60


@dataclass(frozen=True)
class QueueDepth:
    logical_id: str
    queue_url: str
    visible: int
    in_flight: int
    # Age of the oldest message among those sampled; None when the queue is empty.
    oldest_age_seconds: float | None
    sampled: int


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    sent_at: datetime | None
    receive_count: int
    detail_type: str | None
    source: str | None
    event_id: str | None
    bus_event_id: str | None
    replay_name: str | None
    user_hash: str | None
    # Why the consumer could not use it, when the body alone says so; else a pointer to logs.
    reason: str
    body_preview: str


def queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


def queue_depth(sqs: Any, logical_id: str, queue_url: str, sample: int = 100) -> QueueDepth:
    """Depth from the queue's counters; oldest age from SentTimestamp of up to `sample`."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    visible = int(attributes["ApproximateNumberOfMessages"])
    oldest: float | None = None
    sampled = 0
    if visible:
        letters = peek(sqs, queue_url, sample)
        sampled = len(letters)
        sent = [d.sent_at for d in letters if d.sent_at is not None]
        if sent:
            oldest = (datetime.now(UTC) - min(sent)).total_seconds()
    return QueueDepth(
        logical_id=logical_id,
        queue_url=queue_url,
        visible=visible,
        in_flight=int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        oldest_age_seconds=oldest,
        sampled=sampled,
    )


def peek(
    sqs: Any, queue_url: str, count: int, hold_seconds: int = DEFAULT_HOLD_SECONDS
) -> list[DeadLetter]:
    """Up to `count` messages, left in the queue.

    Messages are received (hidden) until `count` distinct ones are seen or the queue has
    no more, then made visible again at once. Receiving raises ApproximateReceiveCount by
    one; in a DLQ, which has no redrive policy of its own, that changes nothing.
    """
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < count:
            answer = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, count - len(seen)),
                VisibilityTimeout=hold_seconds,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                seen.setdefault(message["MessageId"], message)
    finally:
        _release(sqs, queue_url, list(seen.values()))
    return [dead_letter(m) for m in seen.values()]


def _release(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(chunk)
            ],
        )


def dead_letter(message: dict[str, Any]) -> DeadLetter:
    """What an operator can learn from one DLQ message, without user data beyond a hash."""
    attributes = message.get("Attributes", {})
    sent_ms = attributes.get("SentTimestamp")
    body = message.get("Body", "")
    envelope: dict[str, Any] = {}
    try:
        parsed = json.loads(body)
        envelope = parsed if isinstance(parsed, dict) else {}
    except json.JSONDecodeError:
        pass
    detail = envelope.get("detail") if isinstance(envelope.get("detail"), dict) else {}
    assert isinstance(detail, dict)

    reason = _reason(body, envelope)
    user_id = detail.get("user_id")
    return DeadLetter(
        message_id=message["MessageId"],
        sent_at=datetime.fromtimestamp(int(sent_ms) / 1000, UTC) if sent_ms else None,
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
        detail_type=envelope.get("detail-type"),
        source=envelope.get("source"),
        event_id=detail.get("event_id"),
        bus_event_id=envelope.get("id"),
        replay_name=envelope.get("replay-name"),
        user_hash=hash_user_id(user_id) if isinstance(user_id, str) else None,
        reason=reason,
        # Only the shape, never the values: a detail can hold a user's argument text.
        body_preview=f"{len(body)} bytes, detail keys {sorted(detail)}",
    )


def _reason(body: str, envelope: dict[str, Any]) -> str:
    # The consumer's own parsing, so "unreadable" here means unreadable there.
    try:
        _, event = event_from_sqs_body(body)
    except UnknownEventType as exc:
        return f"unreadable: UnknownEventType {exc}"
    except (ValidationError, ValueError) as exc:
        return f"unreadable: {type(exc).__name__}"
    user = f", user={hash_user_id(event.user_id)}" if isinstance(event, UserEvent) else ""
    return f"handler failed; see the consumer's log for event_id={event.event_id}{user}"


# ---------------------------------------------------------------- redrive


@dataclass
class RedriveReport:
    method: str
    moved: int = 0
    send_failures: int = 0
    task_handle: str | None = None
    state: str = ""


def queue_arn(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def start_move_task(sqs: Any, dlq_url: str, source_url: str, rate: int | None) -> str | None:
    """Start SQS's own redrive; the task handle, or None where the endpoint lacks it."""
    request: dict[str, Any] = {
        "SourceArn": queue_arn(sqs, dlq_url),
        "DestinationArn": queue_arn(sqs, source_url),
    }
    if rate:
        request["MaxNumberOfMessagesPerSecond"] = rate
    try:
        return str(sqs.start_message_move_task(**request)["TaskHandle"])
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = error.response.get("Error", {}).get("Code", "")
        # moto answers 500 (not implemented); other emulators say so by code.
        if status in (500, 501) or code in ("UnsupportedOperation", "InvalidAction"):
            return None
        raise


def wait_for_move_task(
    sqs: Any,
    dlq_url: str,
    task_handle: str,
    on_moved: Callable[[int, int], None] | None = None,
    poll_seconds: float = 2.0,
) -> RedriveReport:
    source_arn = queue_arn(sqs, dlq_url)
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=10)["Results"]
        task = next((t for t in tasks if t.get("TaskHandle") == task_handle), tasks[0])
        moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
        if on_moved:
            on_moved(moved, int(task.get("ApproximateNumberOfMessagesToMove", moved)))
        if task["Status"] in ("COMPLETED", "CANCELLED", "FAILED"):
            return RedriveReport(
                method="StartMessageMoveTask",
                moved=moved,
                task_handle=task_handle,
                state=str(task["Status"]),
            )
        time.sleep(poll_seconds)


def move_messages(
    sqs: Any,
    dlq_url: str,
    source_url: str,
    max_messages: int,
    rate: float | None = None,
    hold_seconds: int = DEFAULT_HOLD_SECONDS,
    on_moved: Callable[[int], None] | None = None,
) -> RedriveReport:
    """Move up to `max_messages` from the DLQ to the source queue, ten at a time.

    Each message is deleted from the DLQ only after the source queue accepted it, so a
    crash at any point loses nothing: a message sent but not yet deleted reappears in the
    DLQ after `hold_seconds` and is moved again (a duplicate, which consumers absorb by
    event id). The cap is the depth when the move began, so a message that fails again
    and returns to the DLQ meanwhile is not moved in a loop.
    """
    report = RedriveReport(method="receive-send-delete")
    started = time.monotonic()
    while report.moved < max_messages:
        answer = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, max_messages - report.moved),
            VisibilityTimeout=hold_seconds,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        sent = sqs.send_message_batch(
            QueueUrl=source_url,
            Entries=[_resend_entry(str(i), m) for i, m in enumerate(messages)],
        )
        accepted = {entry["Id"] for entry in sent.get("Successful", [])}
        report.send_failures += len(sent.get("Failed", []))
        done = [m for i, m in enumerate(messages) if str(i) in accepted]
        if done:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        report.moved += len(done)
        if on_moved:
            on_moved(len(done))
        if rate:
            # Pace to `rate` messages per second overall, so a fixed consumer is not flooded.
            ahead = report.moved / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    report.state = "COMPLETED" if report.send_failures == 0 else "PARTIAL"
    return report


def _resend_entry(entry_id: str, message: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
    attributes = {
        name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    if attributes:
        entry["MessageAttributes"] = attributes
    return entry
