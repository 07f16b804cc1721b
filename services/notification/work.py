"""Work the tick puts on the notification queue: one message per user due at a minute.

The queue also carries bus events (EventBridge envelopes); a work order is told apart by
its `work` field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _WorkOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    user_id: str
    at: datetime


class SendDigest(_WorkOrder):
    """Send the user their digest for the local day of `at`."""

    work: Literal["digest"] = "digest"


class SendReminders(_WorkOrder):
    """Send the user the reminders due at `at`, and plan their next wake."""

    work: Literal["reminders"] = "reminders"


WorkOrder = Annotated[SendDigest | SendReminders, Field(discriminator="work")]
_WORK_ORDER: TypeAdapter[SendDigest | SendReminders] = TypeAdapter(WorkOrder)


def work_order_from_body(body: str) -> SendDigest | SendReminders | None:
    """The work order in an SQS body, or None when the body is something else (a bus event)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or "work" not in data:
        return None
    return _WORK_ORDER.validate_python(data)
