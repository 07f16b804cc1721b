"""Lambda entry point: the command queue. Answers each LINE event the webhook published."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.command.bootstrap import bootstrap
from services.command.handling import handle_command_event
from shared.consumer import consume_bus_events
from shared.envelope import BusEnvelope
from shared.events import DomainEvent

logger = Logger(service="command")


def _handle(event: DomainEvent, envelope: BusEnvelope) -> None:
    handle_command_event(event, bootstrap())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume_bus_events(event, context, _handle, logger)
