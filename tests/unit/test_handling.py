"""The command worker's service layer: each LINE event answered once, retries included."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from services.command.bootstrap import CommandService
from services.command.handling import handle_command_event
from shared.events import DomainEvent, LineGroupMessageReceived, LineUserUnfollowed
from shared.messages import OutgoingMessage
from tests.unit.conversation_fakes import World, linked_user_world, said

USER = "U1234567890abcdef1234567890abcdef"


@dataclass
class FakeClaims:
    state: dict[str, str] = field(default_factory=dict)

    def claim(self, webhook_event_id: str) -> bool:
        if webhook_event_id in self.state:
            return False
        self.state[webhook_event_id] = "processing"
        return True

    def complete(self, webhook_event_id: str) -> None:
        self.state[webhook_event_id] = "done"

    def release(self, webhook_event_id: str) -> None:
        if self.state.get(webhook_event_id) == "processing":
            del self.state[webhook_event_id]


@dataclass
class FakeMessenger:
    sent: list[tuple[str, list[OutgoingMessage]]] = field(default_factory=list)
    failures: int = 0

    def answer(self, to: str, reply_token: str | None, messages: Any, retry_key: str) -> str:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("LINE answered 500")
        self.sent.append((to, list(messages)))
        return "reply"


@dataclass
class FakePublisher:
    published: list[DomainEvent] = field(default_factory=list)

    def publish(self, *events: DomainEvent) -> None:
        self.published.extend(events)


@dataclass
class FakeNotices:
    told: set[str] = field(default_factory=set)

    def first_time(self, chat_id: str) -> bool:
        first = chat_id not in self.told
        self.told.add(chat_id)
        return first


@dataclass
class FakeGrants:
    calls: list[str] = field(default_factory=list)

    def revoke(self, user_id: str) -> None:
        self.calls.append(f"revoke {user_id}")

    def forget(self, user_id: str) -> None:
        self.calls.append(f"forget {user_id}")


@dataclass
class FakeService:
    world: World = field(default_factory=World)
    webhook_events: FakeClaims = field(default_factory=FakeClaims)
    messenger: FakeMessenger = field(default_factory=FakeMessenger)
    publisher: FakePublisher = field(default_factory=FakePublisher)
    group_notices: FakeNotices = field(default_factory=FakeNotices)
    google_grants: FakeGrants = field(default_factory=FakeGrants)

    @property
    def conversation(self) -> Any:
        return self.world.ports

    @property
    def sessions(self) -> Any:
        return self.world.sessions

    def handle(self, event: DomainEvent) -> None:
        handle_command_event(event, cast(CommandService, self))


def test_the_same_event_twice_has_one_effect() -> None:
    service = FakeService()
    event = said(USER, "add 2")
    service.world = linked_user_world(USER)

    service.handle(event)
    service.handle(event.model_copy(update={"is_redelivery": True}))

    assert len(service.messenger.sent) == 1
    assert len(service.publisher.published) == 1


def test_two_events_are_both_answered() -> None:
    service = FakeService()

    service.handle(said(USER, "help"))
    service.handle(said(USER, "settings"))

    assert len(service.messenger.sent) == 2


def test_a_failed_first_attempt_is_answered_by_the_retry_and_only_once() -> None:
    # GIVEN LINE fails the first answer
    service = FakeService()
    service.messenger.failures = 1
    event = said(USER, "help")

    # WHEN the worker fails, and SQS hands the same event over again (twice)
    with pytest.raises(RuntimeError):
        service.handle(event)
    service.handle(event)
    service.handle(event)

    # THEN the user got one answer
    assert len(service.messenger.sent) == 1
    assert service.webhook_events.state[event.webhook_event_id] == "done"


def test_published_events_get_ids_derived_from_the_webhook_event() -> None:
    # A retry after a failure publishes the same ids, so consumers see a duplicate.
    service = FakeService()
    service.messenger.failures = 1
    event = said(USER, "通知時刻 07:30")

    with pytest.raises(RuntimeError):
        service.handle(event)
    service.handle(event)

    first, again = service.publisher.published
    assert first.event_id == again.event_id
    assert first.correlation_id == event.webhook_event_id


def test_a_group_hears_once_that_the_bot_works_one_to_one() -> None:
    service = FakeService()
    for n in range(3):
        service.handle(
            LineGroupMessageReceived(chat_id="Cgroup", webhook_event_id=f"e{n}", reply_token="r")
        )

    said_to_group = [messages for to, messages in service.messenger.sent if messages]
    assert len(said_to_group) == 1
    assert "one-to-one" in said_to_group[0][0].text


def test_unfollow_revokes_the_grant_then_forgets_tokens_and_sessions() -> None:
    service = FakeService()
    service.world = linked_user_world(USER)
    service.handle(said(USER, "add"))
    assert USER in service.world.sessions.open

    service.handle(LineUserUnfollowed(user_id=USER, webhook_event_id="bye"))

    assert service.google_grants.calls == [f"revoke {USER}", f"forget {USER}"]
    assert USER not in service.world.sessions.open
