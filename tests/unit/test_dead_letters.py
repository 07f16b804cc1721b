"""What `linecal dlq peek` can tell from a dead-lettered message alone."""

from __future__ import annotations

import json

from linecal.operations.dead_letters import dead_letter
from shared.events import CalendarSubscriptionRequested

USER = "U" + "a" * 32


def message(body: str, receive_count: int = 6) -> dict[str, object]:
    return {
        "MessageId": "m-1",
        "ReceiptHandle": "r",
        "Body": body,
        "Attributes": {
            "SentTimestamp": "1767225600000",
            "ApproximateReceiveCount": str(receive_count),
        },
    }


def envelope(detail_type: str, detail: dict[str, object]) -> str:
    return json.dumps(
        {
            "id": "bus-1",
            "detail-type": detail_type,
            "source": "linecal.command",
            "time": "2026-01-01T00:00:00Z",
            "detail": detail,
        }
    )


def test_a_readable_event_points_to_the_consumer_log_by_event_id() -> None:
    event = CalendarSubscriptionRequested(user_id=USER, calendar_id="work@example.com")

    letter = dead_letter(message(envelope(event.detail_type(), event.model_dump(mode="json"))))

    assert letter.detail_type == "CalendarSubscriptionRequested"
    assert letter.event_id == event.event_id and letter.bus_event_id == "bus-1"
    assert letter.reason.startswith("handler failed") and event.event_id in letter.reason
    assert letter.receive_count == 6 and letter.sent_at is not None
    assert letter.sent_at.year == 2026


def test_an_unknown_detail_type_is_named_as_the_reason() -> None:
    letter = dead_letter(message(envelope("SomethingNew", {"user_id": USER})))

    assert letter.reason == "unreadable: UnknownEventType SomethingNew"


def test_an_invalid_detail_or_body_is_unreadable_and_shows_no_values() -> None:
    invalid = dead_letter(message(envelope("CalendarSubscriptionRequested", {"user_id": USER})))
    garbage = dead_letter(message("not json at all"))

    assert invalid.reason == "unreadable: ValidationError"
    assert garbage.reason.startswith("unreadable:") and garbage.detail_type is None
    for letter in (invalid, garbage):
        shown = " ".join(str(v) for v in letter.__dict__.values())
        assert USER not in shown
