"""Replaying the bus archive: events come again, marked as replayed, with their own ids."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from linecal.cli import app
from linecal.local.embedded import EmbeddedStack
from linecal.operations.replay import (
    TEMPORARY_RULE_PREFIX,
    plan_replay,
    remove_temporary_rules,
    start_replay,
    wait_for_replay,
)
from linecal.target import StackTarget
from shared.events import COMMAND_SOURCE, CalendarUnsubscriptionRequested, UserNeedsDefaultCalendar
from shared.publisher import EventPublisher
from tests.integration.operator_stacks import QueueReader, line_user_id, own_stack


def publish_then_read(stack: StackTarget, queue: QueueReader, events: list) -> None:  # type: ignore[type-arg]
    EventPublisher(stack.resource("EventBus"), COMMAND_SOURCE, stack.client("events")).publish(
        *events
    )
    queue.drain()


def replay(stack: StackTarget, detail_types: list[str]) -> str:
    events = stack.client("events")
    now = datetime.now(UTC)
    plan = plan_replay(
        events,
        name=f"test-{time.monotonic_ns()}",
        archive_name=stack.resource("EventArchive"),
        bus_name=stack.resource("EventBus"),
        start=now - timedelta(minutes=5),
        end=now + timedelta(seconds=1),
        detail_types=detail_types,
    )
    temporary = start_replay(events, plan)
    try:
        status = wait_for_replay(events, plan, poll_seconds=0.2, timeout_seconds=60)
    finally:
        remove_temporary_rules(events, plan.bus_name, temporary)
    assert status.state == "COMPLETED", status
    return plan.name


def test_a_replay_redelivers_events_marked_and_with_their_domain_ids(
    local_stack: EmbeddedStack,
) -> None:
    stack = own_stack(local_stack.endpoint_url)
    originals = [UserNeedsDefaultCalendar(user_id=line_user_id(n)) for n in range(5)]
    with QueueReader(stack, "SubscriptionQueue") as queue:
        # GIVEN five events that were delivered once
        publish_then_read(stack, queue, originals)
        first = list(queue.bodies)

        # WHEN the archive is replayed
        name = replay(stack, [])
        queue.drain()

    # THEN each comes again, marked with the replay's name and carrying the same domain
    # event id, which is what consumers deduplicate on: applying them again changes nothing
    again = [b for b in queue.bodies if b.get("replay-name") == name]
    assert sorted(b["detail"]["event_id"] for b in first) == sorted(e.event_id for e in originals)
    assert {b["detail"]["event_id"] for b in again} == {e.event_id for e in originals}


def test_a_filtered_replay_uses_temporary_rules_and_removes_them(
    local_stack: EmbeddedStack,
) -> None:
    stack = own_stack(local_stack.endpoint_url)
    wanted = CalendarUnsubscriptionRequested(user_id=line_user_id(1), calendar_id="c")
    with QueueReader(stack, "SubscriptionQueue") as queue:
        publish_then_read(stack, queue, [wanted, UserNeedsDefaultCalendar(user_id=line_user_id(2))])

        name = replay(stack, ["CalendarUnsubscriptionRequested"])
        queue.drain()

    # The requested type came again. NOTE: moto ignores FilterArns and the time window and
    # replays the whole archive to every rule, so exclusivity can only be checked on AWS.
    replayed = [b for b in queue.bodies if b.get("replay-name") == name]
    assert wanted.event_id in {b["detail"]["event_id"] for b in replayed}
    rules = stack.client("events").list_rules(EventBusName=stack.resource("EventBus"))["Rules"]
    assert not [r for r in rules if r["Name"].startswith(TEMPORARY_RULE_PREFIX)]


def test_the_cli_shows_who_would_receive_a_filtered_replay(local_stack: EmbeddedStack) -> None:
    result = CliRunner().invoke(
        app,
        [
            "replay",
            "--from",
            "2026-01-01T00:00",
            "--to",
            "2026-01-02T00:00",
            "--dry-run",
            "--detail-type",
            "GoogleAccountLinked",
            "--url",
            local_stack.base_url,
        ],
        env={"COLUMNS": "200"},
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("GoogleAccountLinked -> consumers of rule") == 2
    assert "nothing replayed" in result.output


def test_the_cli_refuses_an_unknown_detail_type_and_a_reversed_window(
    local_stack: EmbeddedStack,
) -> None:
    unknown = CliRunner().invoke(
        app,
        [
            "replay",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
            "--detail-type",
            "Nope",
            "--url",
            local_stack.base_url,
        ],
    )
    reversed_window = CliRunner().invoke(
        app, ["replay", "--from", "2026-01-02", "--to", "2026-01-01", "--url", local_stack.base_url]
    )

    assert unknown.exit_code == 2 and "unknown detail-type" in unknown.output
    assert reversed_window.exit_code == 2
