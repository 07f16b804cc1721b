"""Lambda entry point: the notification queue: digests, reminders, agendas and settings."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.notification.adapters.metrics import PowertoolsMeter
from services.notification.bootstrap import bootstrap
from services.notification.queue_consumer import consume_notification_queue

logger = Logger(service="notification")
metrics = Metrics(namespace="linecal", service="notification")
meter = PowertoolsMeter(metrics)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    composition = bootstrap(meter)
    return consume_notification_queue(
        event,
        context,
        composition.service,
        meter,
        logger,
        composition.settings.worker_concurrency,
    )
