"""Lambda entry point: the subscription queue, owner of UserCalendarsTable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.subscription.bootstrap import bootstrap
from shared.consumer import consume_bus_events
from shared.envelope import BusEnvelope
from shared.events import DomainEvent
from shared.google_calendar import GoogleRateLimited

logger = Logger(service="subscription")


def _handle(event: DomainEvent, envelope: BusEnvelope) -> None:
    try:
        result = bootstrap().handle_once(event=event, replayed=envelope.replay_name is not None)
    except GoogleRateLimited:
        # Left for SQS to redeliver after the visibility timeout: that is the backoff.
        # A single metric, flushed now, so invocations without one publish nothing.
        with single_metric(name="GoogleRateLimited", unit=MetricUnit.Count, value=1):
            pass
        raise
    logger.info("subscription event handled", **result)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bootstrap().idempotency.register_lambda_context(context)
    return consume_bus_events(event, context, _handle, logger)
