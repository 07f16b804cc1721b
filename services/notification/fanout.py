"""The minute tick's work: find the users due at a minute and queue one message per user.

Users are streamed from the settings table's indexes a page at a time and queued ten to
a call, so nothing holds every user in memory. The scheduled tick and the operator's
`linecal notify digest|reminders --at` both run these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notification.domain.preferences import floor_minute, minute_key
from services.notification.ports import DueUsers, WorkQueue
from services.notification.work import SendDigest, SendReminders

BATCH = 10
# A reminder wake left in a minute whose tick failed or ran late is still picked up.
REMINDER_LOOKBACK_MINUTES = 2

Progress = Callable[[int], None]


@dataclass(frozen=True)
class FanOut:
    kind: str
    minutes: tuple[str, ...]
    queued: int


def fan_out_digests(
    at: datetime, due: DueUsers, queue: WorkQueue, progress: Progress | None = None
) -> FanOut:
    """Queue a SendDigest for every user whose digest minute is `at`'s UTC minute."""
    now = floor_minute(at)
    minute = f"{now:%H:%M}"
    orders = (SendDigest(user_id=user_id, at=now) for user_id in due.digest_due(minute))
    return FanOut("digest", (minute,), _queue_in_batches(orders, queue, progress))


def fan_out_reminders(
    at: datetime,
    due: DueUsers,
    queue: WorkQueue,
    progress: Progress | None = None,
    lookback_minutes: int = REMINDER_LOOKBACK_MINUTES,
) -> FanOut:
    """Queue a SendReminders for every user whose wake minute is `at` (or just before)."""
    now = floor_minute(at)
    minutes = tuple(
        minute_key(now - timedelta(minutes=back)) for back in range(lookback_minutes, -1, -1)
    )

    def orders() -> Iterable[SendReminders]:
        for minute in minutes:
            for user_id in due.reminders_due(minute):
                yield SendReminders(user_id=user_id, at=now)

    return FanOut("reminders", minutes, _queue_in_batches(orders(), queue, progress))


def _queue_in_batches(
    orders: Iterable[SendDigest | SendReminders], queue: WorkQueue, progress: Progress | None
) -> int:
    queued = 0
    batch: list[SendDigest | SendReminders] = []
    for order in orders:
        batch.append(order)
        if len(batch) == BATCH:
            queue.enqueue(batch)
            queued += len(batch)
            batch = []
            if progress:
                progress(queued)
    if batch:
        queue.enqueue(batch)
        queued += len(batch)
        if progress:
            progress(queued)
    return queued
