"""The subscription service on the emulator: duplicates, replays, poison records, Google."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests

from linecal.local.embedded import EmbeddedStack
from shared.events import (
    CalendarSubscriptionRequested,
    CalendarUnsubscriptionRequested,
    LineUserUnfollowed,
    UserNeedsDefaultCalendar,
)
from tests.integration.stack_doors import (
    DEMO_ACCOUNT,
    calendars_of,
    link_directly,
    new_user,
    publish,
    queue_drained,
    resource,
    texts_to,
    wait_for,
)

WORK_CALENDAR = "c_demo0work0123@group.calendar.google.com"


def settle(stack: EmbeddedStack) -> None:
    """Wait until the subscription queue, then the command queue, have nothing left."""
    for queue in ("SubscriptionQueue", "CommandQueue"):
        wait_for(lambda q=queue: queue_drained(stack, q), f"{queue} drained")


class UserArchive:
    """An archive of one user's events on the stack's bus, and replays from it.

    NOTE: moto replays the whole of an archive whatever the time window, so the tests
    archive only their own user's events rather than replaying the template's archive
    (on AWS that one would be narrowed with EventStartTime/EventEndTime instead).
    """

    def __init__(self, stack: EmbeddedStack, user_id: str) -> None:
        self._events = boto3.client("events")
        self._bus_arn = self._events.describe_event_bus(Name=resource(stack, "EventBus"))["Arn"]
        self._arn = self._events.create_archive(
            ArchiveName="test-" + uuid.uuid4().hex[:12],
            EventSourceArn=self._bus_arn,
            EventPattern=json.dumps({"detail": {"user_id": [user_id]}}),
        )["ArchiveArn"]

    def replay(self) -> None:
        name = "replay-" + uuid.uuid4().hex[:12]
        now = datetime.now(UTC)
        self._events.start_replay(
            ReplayName=name,
            EventSourceArn=self._arn,
            EventStartTime=now - timedelta(hours=1),
            EventEndTime=now + timedelta(minutes=1),
            Destination={"Arn": self._bus_arn},
        )
        wait_for(
            lambda: self._events.describe_replay(ReplayName=name)["State"] == "COMPLETED",
            "the replay completed",
        )


def test_three_copies_and_a_replay_make_one_row_and_one_confirmation(
    local_stack: EmbeddedStack,
) -> None:
    # GIVEN a linked user whose events are archived
    user = new_user()
    link_directly(local_stack, user)
    archive = UserArchive(local_stack, user)
    event = UserNeedsDefaultCalendar(user_id=user)

    # WHEN the same event is published three times, then replayed from the archive
    for _ in range(3):
        publish(local_stack, event)
    settle(local_stack)
    archive.replay()
    settle(local_stack)

    # THEN there is one row and the user was told once
    assert [(c.calendar_id, c.is_primary) for c in calendars_of(local_stack, user)] == [
        (DEMO_ACCOUNT, True)
    ]
    assert len(texts_to(local_stack, user)) == 1


def test_a_poison_record_goes_to_the_dlq_while_its_batch_mates_succeed(
    local_stack: EmbeddedStack,
) -> None:
    # GIVEN one unreadable record sent in the same batch as two good ones
    first, second = new_user(), new_user()
    for user in (first, second):
        link_directly(local_stack, user)
    sqs = boto3.client("sqs")
    poison_marker = "poison-" + uuid.uuid4().hex
    bodies = [
        _bus_envelope(UserNeedsDefaultCalendar(user_id=first)),
        json.dumps({"detail-type": "NoSuchEvent", "marker": poison_marker}),
        _bus_envelope(UserNeedsDefaultCalendar(user_id=second)),
    ]
    sqs.send_message_batch(
        QueueUrl=resource(local_stack, "SubscriptionQueue"),
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)],
    )

    # THEN the good ones are handled and the poison one ends in the DLQ (after five tries)
    for user in (first, second):
        wait_for(lambda u=user: calendars_of(local_stack, u), "a batch mate handled")
    dead = wait_for(
        lambda: _find_in_queue(local_stack, "SubscriptionDLQ", poison_marker), "poison in the DLQ"
    )
    assert json.loads(dead)["marker"] == poison_marker


def test_a_second_calendar_is_added_and_removed_on_request(local_stack: EmbeddedStack) -> None:
    user = new_user()
    link_directly(local_stack, user)
    publish(local_stack, UserNeedsDefaultCalendar(user_id=user))
    settle(local_stack)

    publish(local_stack, CalendarSubscriptionRequested(user_id=user, calendar_id=WORK_CALENDAR))
    settle(local_stack)
    added = [c.name for c in calendars_of(local_stack, user)]
    publish(local_stack, CalendarUnsubscriptionRequested(user_id=user, calendar_id=WORK_CALENDAR))
    settle(local_stack)

    assert added == [DEMO_ACCOUNT, "仕事"]
    assert [c.name for c in calendars_of(local_stack, user)] == [DEMO_ACCOUNT]
    texts = texts_to(local_stack, user)
    assert len(texts) == 3
    assert "「仕事」を通知するカレンダーに追加しました" in texts[1]
    assert "「仕事」の通知をやめました" in texts[2]


def test_an_unknown_calendar_is_rejected_and_the_user_told(local_stack: EmbeddedStack) -> None:
    user = new_user()
    link_directly(local_stack, user)

    publish(
        local_stack,
        CalendarSubscriptionRequested(user_id=user, calendar_id="nobody@example.com"),
    )
    settle(local_stack)

    assert calendars_of(local_stack, user) == []
    [text] = texts_to(local_stack, user)
    assert "見つかりませんでした" in text


@pytest.mark.parametrize("status", [503, 429])
def test_google_outages_and_rate_limits_are_retried_through_the_queue(
    local_stack: EmbeddedStack, status: int
) -> None:
    # GIVEN Google's calendar list fails more often than the client's own retries
    user = new_user()
    link_directly(local_stack, user)
    faults = f"{local_stack.base_url}/sandbox/google/faults"
    requests.post(faults, json={"match": "calendarList", "status": status, "count": 4}, timeout=5)

    try:
        publish(local_stack, UserNeedsDefaultCalendar(user_id=user))

        # THEN SQS redelivers the record and the calendar is subscribed once Google is back
        wait_for(lambda: calendars_of(local_stack, user), "subscribed after the outage", 60)
    finally:
        requests.delete(faults, timeout=5)
    settle(local_stack)
    assert len(texts_to(local_stack, user)) == 1


def test_unfollowing_forgets_the_users_calendars(local_stack: EmbeddedStack) -> None:
    user = new_user()
    link_directly(local_stack, user)
    publish(local_stack, UserNeedsDefaultCalendar(user_id=user))
    wait_for(lambda: calendars_of(local_stack, user), "the primary calendar subscribed")

    publish(local_stack, LineUserUnfollowed(user_id=user, webhook_event_id="01HXUNFOLLOW"))
    settle(local_stack)

    assert calendars_of(local_stack, user) == []


# ---------------------------------------------------------------- helpers


def _bus_envelope(event: UserNeedsDefaultCalendar) -> str:
    """The body EventBridge puts in SQS for this event."""
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": event.detail_type(),
            "source": "linecal.operator",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": event.model_dump(mode="json"),
        }
    )


def _find_in_queue(stack: EmbeddedStack, logical_id: str, marker: str) -> str | None:
    sqs = boto3.client("sqs")
    answer = sqs.receive_message(
        QueueUrl=resource(stack, logical_id), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return next((m["Body"] for m in answer.get("Messages", []) if marker in m["Body"]), None)
