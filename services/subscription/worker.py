"""Lambda entry point: the subscription queue, owner of UserCalendarsTable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.consumer import consume_bus_events
from shared.envelope import BusEnvelope
from shared.events import DomainEvent

logger = Logger(service="subscription")


def _handle(event: DomainEvent, envelope: BusEnvelope) -> None:
    # TODO(#4): subscribe, unsubscribe and forget calendars; this slice only acknowledges.
    logger.info("event not handled by this service yet", detail_type=envelope.detail_type)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume_bus_events(event, context, _handle, logger)
