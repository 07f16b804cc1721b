"""Publishing domain events to the EventBridge bus."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3

from shared.events import DomainEvent

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

# PutEvents takes at most ten entries a call.
MAX_ENTRIES_PER_CALL = 10


class PublishFailed(RuntimeError):
    """Some events were still refused by EventBridge after every resend."""

    def __init__(self, failed: Sequence[DomainEvent], reasons: Sequence[str]) -> None:
        self.failed = list(failed)
        self.reasons = list(reasons)
        super().__init__(f"{len(self.failed)} event(s) not published: {sorted(set(reasons))}")


class EventPublisher:
    """Puts domain events on the bus, ten to a call, resending the entries that failed."""

    def __init__(
        self,
        bus_name: str,
        source: str,
        client: EventBridgeClient | None = None,
        attempts: int = 4,
        backoff_seconds: float = 0.2,
    ) -> None:
        self._bus_name = bus_name
        self._source = source
        self._client = client or boto3.client("events")
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds

    def publish(self, *events: DomainEvent) -> None:
        """Publish every event, or raise `PublishFailed` naming the ones that were not."""
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            self._publish_chunk(list(events[start : start + MAX_ENTRIES_PER_CALL]))

    def _publish_chunk(self, pending: list[DomainEvent]) -> None:
        reasons: list[str] = []
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff_seconds * 2 ** (attempt - 1))

            answer = self._client.put_events(Entries=[self._entry(e) for e in pending])
            if answer.get("FailedEntryCount", 0) == 0:
                return

            # Entries come back in the order sent; only those with an ErrorCode failed.
            results = answer["Entries"]
            reasons = [r.get("ErrorCode", "") for r in results if r.get("ErrorCode")]
            pending = [e for e, r in zip(pending, results, strict=True) if r.get("ErrorCode")]
        raise PublishFailed(pending, reasons)

    def _entry(self, event: DomainEvent) -> PutEventsRequestEntryTypeDef:
        detail: dict[str, Any] = event.model_dump(mode="json")
        return {
            "EventBusName": self._bus_name,
            "Source": self._source,
            "DetailType": event.detail_type(),
            "Detail": json.dumps(detail, ensure_ascii=False),
        }
