"""Operator commands find a running local stack and its resources through its HTTP door."""

from __future__ import annotations

import pytest

from linecal.local.embedded import EmbeddedStack
from linecal.target import TargetNotFound, find_target, local_target


def test_a_running_local_stack_is_found_with_its_resources(local_stack: EmbeddedStack) -> None:
    target = find_target(local_stack.base_url)

    assert target.is_local
    assert target.endpoint_url == local_stack.endpoint_url
    # moto names queue URLs after its own host; the queue name is what must match.
    queue_names = [u.rsplit("/", 1)[1] for u in target.client("sqs").list_queues()["QueueUrls"]]
    assert target.resource("CommandQueue").rsplit("/", 1)[1] in queue_names
    assert target.source_queue_of("CommandDLQ") == target.resource("CommandQueue")
    assert set(target.dead_letter_queues()) == {"CommandDLQ", "SubscriptionDLQ", "NotificationDLQ"}


def test_nothing_listening_is_not_a_local_stack() -> None:
    assert local_target("http://127.0.0.1:9") is None


def test_an_unknown_resource_is_named_in_the_error(local_stack: EmbeddedStack) -> None:
    with pytest.raises(TargetNotFound, match="NoSuchQueue"):
        find_target(local_stack.base_url).resource("NoSuchQueue")
