"""Sending a notification at most once, whatever retries, redeliveries or replays happen.

A conditional write in the notification log claims the notification before it is sent
and marks it sent after; a second attempt finds it sent and does nothing. Between the two
(a crash after LINE accepted the push), the retry carries the same `X-Line-Retry-Key`,
so LINE itself refuses to deliver it twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from aws_lambda_powertools import Logger

from services.notification.ports import Messenger, Meter, NotificationLog
from shared.line_messaging import LineError, LineMonthlyQuotaExhausted, LineRateLimited
from shared.messages import OutgoingMessage

logger = Logger(service="notification", child=True)

SENT = "sent"
SKIPPED = "skipped"
QUOTA_EXHAUSTED = "quota_exhausted"
ALREADY_SENT = "already_sent"


class Deliveries:
    def __init__(
        self,
        messenger: Messenger,
        log: NotificationLog,
        meter: Meter,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._messenger = messenger
        self._log = log
        self._meter = meter
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    def push_once(
        self, user_id: str, key: str, retry_key: str, messages: Sequence[OutgoingMessage]
    ) -> str:
        """Push unless `key` was already sent; returns what happened."""
        return self._once(
            key, lambda: self._messenger.push(user_id, messages, retry_key), len(messages)
        )

    def answer_once(
        self,
        user_id: str,
        reply_token: str | None,
        key: str,
        retry_key: str,
        messages: Sequence[OutgoingMessage],
    ) -> str:
        """Reply (push if the token is dead) unless `key` was already answered."""
        return self._once(
            key,
            lambda: self._messenger.answer(user_id, reply_token, messages, retry_key),
            len(messages),
        )

    def already_done(self, key: str) -> bool:
        """Whether `key` was sent or skipped, so the work behind it can be skipped too."""
        return self._log.status(key) in (SENT, SKIPPED)

    def skip(self, key: str) -> None:
        """Record that nothing is to be sent for `key` (an empty day the user skips)."""
        self._log.record(key, SKIPPED)

    def _once(self, key: str, send: Callable[[], object], messages: int) -> str:
        if not self._log.claim(key):
            self._meter.count("NotificationsDuplicate")
            return ALREADY_SENT
        try:
            self._send_with_backoff(send)
        except LineMonthlyQuotaExhausted:
            # Retrying cannot help until the month turns: count it (alarmed) and stop here.
            logger.error("LINE monthly quota exhausted", kind=key.split("#", 1)[0])
            self._meter.count("LineMonthlyQuotaExhausted")
            self._meter.count("NotificationsFailed")
            self._log.record(key, QUOTA_EXHAUSTED)
            return QUOTA_EXHAUSTED
        except LineError as exc:
            self._meter.count("LineSendFailed")
            self._meter.count("NotificationsFailed")
            logger.warning("LINE refused a notification", status=exc.status)
            raise
        self._log.record(key, SENT)
        self._meter.count("NotificationsSent")
        self._meter.count("MessagesSent", messages)
        return SENT

    def _send_with_backoff(self, send: Callable[[], object]) -> None:
        for attempt in range(self._attempts):
            self._meter.count("LineCalls")
            try:
                send()
                return
            except LineMonthlyQuotaExhausted:
                raise
            except LineRateLimited:
                self._meter.count("LineRateLimited")
                if attempt == self._attempts - 1:
                    raise
                # Exponential backoff with full jitter, as LINE asks of clients it limits.
                self._sleep(random.uniform(0, self._backoff_seconds * 2**attempt))
