"""Lambda entry point: the minute tick that queues the users due a digest or a reminder."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.notification.adapters.metrics import PowertoolsMeter
from services.notification.bootstrap import bootstrap
from services.notification.fanout import fan_out_digests, fan_out_reminders

logger = Logger(service="notification")
metrics = Metrics(namespace="linecal", service="notification")
meter = PowertoolsMeter(metrics)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.monotonic()
    at = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    composition = bootstrap(meter)

    digests = fan_out_digests(at, composition.due_users, composition.work_queue)
    reminders = fan_out_reminders(at, composition.due_users, composition.work_queue)

    meter.count("DigestsDue", digests.queued)
    meter.count("ReminderUsersDue", reminders.queued)
    meter.milliseconds("TickDuration", (time.monotonic() - started) * 1000)
    logger.info("tick", at=event["time"], digests=digests.queued, reminders=reminders.queued)
    return {"digests": digests.queued, "reminders": reminders.queued}
