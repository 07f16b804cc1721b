"""Dead-letter queues on the local stack: a poison message parks, is seen, and is redriven."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from linecal.cli import app
from linecal.local.embedded import EmbeddedStack
from linecal.local.stack import LocalFunction
from linecal.operations.dead_letters import move_messages, queue_depth
from linecal.target import find_target
from shared.events import OPERATOR_SOURCE, CalendarUnsubscriptionRequested
from shared.publisher import EventPublisher
from tests.integration.operator_stacks import own_stack

runner = CliRunner()


def linecal(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


class SwitchableConsumer:
    """Wraps the subscription worker: while broken it fails one event, as a bug would;
    once fixed it hands every record to the real worker and notes what it processed."""

    def __init__(self, real: Callable[[dict[str, Any], Any], Any], poison_event_id: str) -> None:
        self._real = real
        self._poison = poison_event_id
        self.broken = True
        self.processed: list[str] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        poisoned = [r for r in event["Records"] if self._poison in r["body"] and self.broken]
        others = [r for r in event["Records"] if r not in poisoned]
        failures: list[dict[str, str]] = [{"itemIdentifier": r["messageId"]} for r in poisoned]
        if others:
            answer = self._real({**event, "Records": others}, context) or {}
            failures += answer.get("batchItemFailures", [])
            failed = {f["itemIdentifier"] for f in failures}
            for record in others:
                if record["messageId"] not in failed:
                    self.processed.append(json.loads(record["body"])["detail"]["event_id"])
        return {"batchItemFailures": failures}


@pytest.fixture
def consumer(local_stack: EmbeddedStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    invoker = local_stack.invoker
    original = invoker.handler_for
    event = CalendarUnsubscriptionRequested(user_id="U" + "d" * 32, calendar_id="c@example.com")
    assert local_stack.stack is not None
    real = original(local_stack.stack.function("SubscriptionWorkerFunction"))
    switchable = SwitchableConsumer(real, event.event_id)

    def handler_for(function: LocalFunction) -> Any:
        if function.logical_id == "SubscriptionWorkerFunction":
            return switchable
        return original(function)

    monkeypatch.setattr(invoker, "handler_for", handler_for)
    switchable.event = event  # type: ignore[attr-defined]
    yield switchable


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the local stack did not get there in time")
        time.sleep(0.5)


def test_a_poison_message_is_peeked_then_redriven_to_a_fixed_consumer(
    local_stack: EmbeddedStack, consumer: Any
) -> None:
    target = find_target(local_stack.base_url)
    sqs = target.client("sqs")
    dlq = target.resource("SubscriptionDLQ")
    event = consumer.event

    # GIVEN an event that the subscription worker fails on every time
    EventPublisher(target.resource("EventBus"), OPERATOR_SOURCE, target.client("events")).publish(
        event
    )
    wait_for(lambda: queue_depth(sqs, "SubscriptionDLQ", dlq, sample=0).visible == 1)

    # WHEN the operator lists and peeks
    listed = linecal("dlq", "list", "--url", local_stack.base_url)
    peeked = linecal("dlq", "peek", "SubscriptionDLQ", "--url", local_stack.base_url)

    # THEN they see it, what it is and why it is there, and it stays in the DLQ
    assert listed.exit_code == 0, listed.output
    assert "SubscriptionDLQ" in listed.output and "1 message(s) in 3 DLQs" in listed.output
    assert peeked.exit_code == 0, peeked.output
    assert "CalendarUnsubscriptionRequested from linecal.operator" in peeked.output
    assert f"event_id={event.event_id}" in peeked.output
    assert "why: handler failed" in peeked.output
    assert "U" + "d" * 32 not in peeked.output  # the user appears only as a hash
    assert queue_depth(sqs, "SubscriptionDLQ", dlq, sample=0).visible == 1

    # WHEN the consumer is fixed and the DLQ redriven
    consumer.broken = False
    redriven = linecal("dlq", "redrive", "SubscriptionDLQ", "--url", local_stack.base_url)

    # THEN the fixed consumer processes it and the DLQ is empty
    assert redriven.exit_code == 0, redriven.output
    assert "moved 1 of 1" in redriven.output
    wait_for(lambda: event.event_id in consumer.processed)
    assert queue_depth(sqs, "SubscriptionDLQ", dlq, sample=0).visible == 0


def test_a_dry_run_redrive_moves_nothing(local_stack: EmbeddedStack) -> None:
    result = linecal("dlq", "redrive", "CommandDLQ", "--dry-run", "--url", local_stack.base_url)

    assert result.exit_code == 0, result.output
    assert "nothing moved" in result.output


def test_an_unknown_queue_is_refused_with_the_known_ones(local_stack: EmbeddedStack) -> None:
    result = linecal("dlq", "peek", "NoSuchDLQ", "--url", local_stack.base_url)

    assert result.exit_code == 2
    assert "CommandDLQ" in result.output


def test_a_move_killed_mid_way_loses_nothing(local_stack: EmbeddedStack) -> None:
    # GIVEN 35 dead letters in a stack of the test's own
    stack = own_stack(local_stack.endpoint_url)
    sqs = stack.client("sqs")
    dlq, source = stack.resource("CommandDLQ"), stack.resource("CommandQueue")
    bodies = {json.dumps({"n": n}) for n in range(35)}
    for start, chunk in enumerate([sorted(bodies)[i : i + 10] for i in range(0, 35, 10)]):
        sqs.send_message_batch(
            QueueUrl=dlq,
            Entries=[{"Id": f"{start}-{i}", "MessageBody": b} for i, b in enumerate(chunk)],
        )

    # WHEN the move dies after its second batch was sent but before it was deleted
    with pytest.raises(ConnectionResetError):
        move_messages(DiesOnDelete(sqs, after=1), dlq, source, max_messages=35, hold_seconds=1)
    time.sleep(1.5)  # the held batch becomes visible in the DLQ again
    # ... and is run again
    report = move_messages(sqs, dlq, source, max_messages=35, hold_seconds=1)

    # THEN every message reached the source queue, a batch at most twice, and the DLQ is empty
    moved = drain(sqs, source)
    assert set(moved) == bodies
    assert len(moved) - len(bodies) <= 10
    assert report.state == "COMPLETED"
    assert queue_depth(sqs, "CommandDLQ", dlq, sample=0).visible == 0


class DiesOnDelete:
    """An SQS client whose process dies at a delete, after `after` deletes went through."""

    def __init__(self, sqs: Any, after: int) -> None:
        self._sqs = sqs
        self._left = after

    def delete_message_batch(self, **request: Any) -> Any:
        if self._left == 0:
            raise ConnectionResetError("killed")
        self._left -= 1
        return self._sqs.delete_message_batch(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def drain(sqs: Any, queue_url: str) -> list[str]:
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            return bodies
        bodies += [m["Body"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
