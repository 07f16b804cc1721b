"""Consuming bus events from an SQS queue, one record at a time, with partial failures.

Powertools' BatchProcessor reports each record that raised as a batch item failure, so
SQS redelivers only those and, after `maxReceiveCount`, moves them to the DLQ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from shared.envelope import BusEnvelope, event_from_sqs_body
from shared.events import DomainEvent, UnknownEventType, UserEvent
from shared.observability import hash_user_id

BusEventHandler = Callable[[DomainEvent, BusEnvelope], None]


class UnreadableRecord(ValueError):
    """An SQS record that is not a bus event we know; it can only end in the DLQ."""


def unreadable(record: SQSRecord, error: Exception, logger: Logger) -> UnreadableRecord:
    """Log why a record could not be read and return the error to raise `from None`.

    The reason is the error's type, never its text: a validation error quotes the body,
    which may hold a user's data, so it must not be chained into a traceback either.
    """
    logger.error(
        "unreadable record",
        message_id=record.message_id,
        reason=type(error).__name__,
        receive_count=record.attributes.approximate_receive_count,
    )
    return UnreadableRecord(type(error).__name__)


def consume_bus_events(
    event: dict[str, Any],
    context: LambdaContext,
    handle: BusEventHandler,
    logger: Logger,
) -> dict[str, Any]:
    """Run `handle` for each record of an SQS batch and report the records that failed."""

    def record_handler(record: SQSRecord) -> None:
        logger.remove_keys(["user", "event_id", "detail_type", "replay_name"])
        try:
            envelope, domain_event = event_from_sqs_body(record.body)
        except (ValidationError, UnknownEventType, ValueError) as exc:
            raise unreadable(record, exc, logger) from None

        logger.set_correlation_id(domain_event.correlation_id or domain_event.event_id)
        logger.append_keys(
            event_id=domain_event.event_id,
            detail_type=envelope.detail_type,
            replay_name=envelope.replay_name,
        )
        if isinstance(domain_event, UserEvent):
            logger.append_keys(user=hash_user_id(domain_event.user_id))

        try:
            handle(domain_event, envelope)
        except Exception as exc:
            logger.exception(
                "record failed",
                message_id=record.message_id,
                reason=type(exc).__name__,
                receive_count=record.attributes.approximate_receive_count,
            )
            raise

    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
