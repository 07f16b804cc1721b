"""Small doors into a running embedded stack for the linking and subscription tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import boto3

from linecal.local.embedded import EmbeddedStack
from shared.events import OPERATOR_SOURCE, DomainEvent
from shared.publisher import EventPublisher
from shared.repositories.oauth_tokens import OAuthTokens
from shared.repositories.user_calendars import UserCalendarsReader
from shared.subscriptions import SubscribedCalendar

DEMO_ACCOUNT = "demo@example.com"
T = TypeVar("T")


def new_user() -> str:
    return "U" + uuid.uuid4().hex


def resource(stack: EmbeddedStack, logical_id: str) -> str:
    assert stack.stack is not None
    return stack.stack.resources[logical_id]


def tokens(stack: EmbeddedStack) -> OAuthTokens:
    return OAuthTokens(
        resource(stack, "OAuthTokensTable"), resource(stack, "TokenKey"), actor="test"
    )


def link_directly(stack: EmbeddedStack, user_id: str, email: str = DEMO_ACCOUNT) -> str:
    """Store a real sandbox grant for the user, as a finished consent would; its token."""
    assert stack.google_sandbox is not None
    refresh_token = str(stack.google_sandbox.grant_offline_access(email)["refresh_token"])
    tokens(stack).store(user_id, refresh_token)
    return refresh_token


def publish(stack: EmbeddedStack, *events: DomainEvent) -> None:
    EventPublisher(resource(stack, "EventBus"), source=OPERATOR_SOURCE).publish(*events)


def calendars_of(stack: EmbeddedStack, user_id: str) -> list[SubscribedCalendar]:
    return UserCalendarsReader(resource(stack, "UserCalendarsTable")).for_user(user_id)


def texts_to(stack: EmbeddedStack, user_id: str) -> list[str]:
    """Every message text the bot sent the user, in order."""
    assert stack.line_sandbox is not None
    return [
        message.get("text", "")
        for record in stack.line_sandbox.sent_messages(to=user_id)
        for message in record["messages"]
    ]


def wait_for(probe: Callable[[], T | None], what: str, seconds: float = 30) -> T:
    """Poll until `probe` gives something truthy; fail naming `what` if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def queue_drained(stack: EmbeddedStack, logical_id: str) -> bool:
    attributes: Any = boto3.client("sqs").get_queue_attributes(
        QueueUrl=resource(stack, logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(int(value) == 0 for value in attributes.values())
