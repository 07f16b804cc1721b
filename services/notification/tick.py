"""Lambda entry point: the scheduled tick that finds users due a digest or a reminder."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="notification")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # TODO(#5): fan out one message per due user onto the notification queue.
    logger.info("tick", time=event.get("time"))
    return {"due_users": 0}
