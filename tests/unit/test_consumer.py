"""Consuming bus events from SQS: bad records fail alone and never quote their body."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from services.notification.queue_consumer import consume_notification_queue
from shared.consumer import consume_bus_events
from shared.envelope import BusEnvelope
from shared.events import DomainEvent, LineUserFollowed
from tests.unit.notification_fakes import World

# Short, and last in the bodies below: pydantic shortens long values it quotes from the
# middle, and a long text could be cut out of an error message by chance.
PRIVATE = "HOSP1TAL"


class Context:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req"


def record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "h",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }


def bus_body(event: DomainEvent) -> str:
    return json.dumps(
        {
            "id": "1",
            "detail-type": event.detail_type(),
            "source": "linecal.command",
            "time": "2026-12-03T00:00:00Z",
            "detail": event.model_dump(mode="json"),
        }
    )


def test_a_malformed_record_fails_alone_and_its_body_is_never_logged(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a batch with one good event and one whose envelope lacks "time" and carries text
    good = LineUserFollowed(user_id="U1", webhook_event_id="w1")
    bad = json.dumps(
        {"id": "2", "detail-type": "LineMessageReceived", "source": "linecal.command",
         "detail": {"text": PRIVATE, "userId": "Uleak"}}
    )  # fmt: skip
    handled: list[DomainEvent] = []

    def handle(event: DomainEvent, envelope: BusEnvelope) -> None:
        handled.append(event)

    # WHEN the batch is consumed
    with caplog.at_level(logging.DEBUG):
        response = consume_bus_events(
            {"Records": [record("m-good", bus_body(good)), record("m-bad", bad)]},
            Context(),  # type: ignore[arg-type]
            handle,
            Logger(service="test"),
        )

    # THEN only the bad record is reported failed, and nothing quotes what it carried
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert handled == [good]
    printed = capsys.readouterr()
    assert PRIVATE not in printed.out + printed.err + caplog.text


def test_a_batch_of_only_malformed_records_raises_without_quoting_them() -> None:
    bad = json.dumps({"detail": {"t": PRIVATE}})

    with pytest.raises(Exception) as raised:
        consume_bus_events(
            {"Records": [record("m1", bad)]},
            Context(),  # type: ignore[arg-type]
            lambda event, envelope: None,
            Logger(service="test"),
        )

    # The whole traceback, as Lambda (or the local stack) would print it, chained causes too.
    printed = "".join(traceback.format_exception(raised.value))
    assert PRIVATE not in printed


def test_the_notification_queue_never_quotes_an_unreadable_record_either() -> None:
    world = World()
    bad = json.dumps({"detail": {"t": PRIVATE}})

    with pytest.raises(Exception) as raised:
        consume_notification_queue(
            {"Records": [record("m1", bad)]},
            Context(),  # type: ignore[arg-type]
            world.service,
            world.meter,
            Logger(service="test"),
            concurrency=2,
        )

    printed = "".join(traceback.format_exception(raised.value))
    assert PRIVATE not in printed
