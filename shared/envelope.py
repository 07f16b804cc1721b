"""Reading the EventBridge envelope that a rule delivers into an SQS message body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import DomainEvent, event_from_detail


class BusEnvelope(BaseModel):
    """The parts of EventBridge's envelope that we use.

    `account` is left out on purpose: the local emulator does not send it.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    detail_type: str = Field(alias="detail-type")
    source: str
    time: datetime
    detail: dict[str, Any]
    replay_name: str | None = Field(default=None, alias="replay-name")


def event_from_sqs_body(body: str) -> tuple[BusEnvelope, DomainEvent]:
    """Parse an SQS body holding an EventBridge event into its envelope and domain event.

    Raises pydantic's ValidationError or `UnknownEventType` for a body that is not one.
    """
    envelope = BusEnvelope.model_validate_json(body)
    return envelope, event_from_detail(envelope.detail_type, envelope.detail)
