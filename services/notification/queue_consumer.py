"""Consuming the notification queue: work orders from the tick and events from the bus,
several users at once (bounded), each failed record reported for SQS to retry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from services.notification.handling import NotificationService
from services.notification.ports import Meter
from services.notification.work import SendDigest, work_order_from_body
from shared.consumer import unreadable
from shared.envelope import event_from_sqs_body
from shared.events import UnknownEventType, UserEvent
from shared.observability import hash_user_id


def consume_notification_queue(
    event: dict[str, Any],
    context: LambdaContext,
    service: NotificationService,
    meter: Meter,
    logger: Logger,
    concurrency: int,
) -> dict[str, Any]:
    """Handle every record of an SQS batch, at most `concurrency` at a time."""
    semaphore = asyncio.Semaphore(concurrency)

    async def record_handler(record: SQSRecord) -> None:
        async with semaphore:
            await asyncio.to_thread(_handle_record, record, service, meter, logger)

    processor = AsyncBatchProcessor(event_type=EventType.SQS)
    response = async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


def _handle_record(
    record: SQSRecord, service: NotificationService, meter: Meter, logger: Logger
) -> None:
    started = time.monotonic()
    user = ""
    what = ""
    try:
        order = work_order_from_body(record.body)
        if order is not None:
            user, what = order.user_id, order.work
            if isinstance(order, SendDigest):
                outcome = service.send_digest(order.user_id, order.at)
            else:
                outcome = str(service.send_reminders(order.user_id, order.at))
            logger.info("work done", work=what, user=hash_user_id(user), outcome=outcome)
        else:
            envelope, domain_event = event_from_sqs_body(record.body)
            what = envelope.detail_type
            if isinstance(domain_event, UserEvent):
                user = domain_event.user_id
            service.handle_event(domain_event)
            logger.info(
                "event handled", detail_type=what, user=hash_user_id(user) if user else None
            )
    except (ValidationError, UnknownEventType, ValueError) as exc:
        raise unreadable(record, exc, logger) from None
    except Exception as exc:
        logger.exception(
            "record failed",
            message_id=record.message_id,
            work=what,
            user=hash_user_id(user) if user else None,
            reason=type(exc).__name__,
            receive_count=record.attributes.approximate_receive_count,
        )
        raise
    finally:
        meter.milliseconds("UserCycleDuration", (time.monotonic() - started) * 1000)
