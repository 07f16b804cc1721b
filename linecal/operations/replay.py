"""Replaying archived bus events for a time window, optionally only some detail-types.

StartReplay has no event pattern: it re-sends everything archived in the window, to all
rules on the bus or to the rules named in `FilterArns`. To replay only some detail-types
we add, for each consumer rule that routes one of them, a temporary rule with the same
targets whose pattern is that rule's pattern narrowed to those detail-types and to this
replay's `replay-name`, and name only those rules in FilterArns. The temporary rules match
nothing but this replay's events, and are deleted when it ends.

Every replayed event carries `replay-name`; the consumers treat it as a redelivery (they
are idempotent on the domain event id), so a replay changes nothing already applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Temporary rules are named with this prefix; the queue policies let rules so named send.
TEMPORARY_RULE_PREFIX = "linecal-replay-"
ENDED_STATES = frozenset({"COMPLETED", "CANCELLED", "FAILED"})


@dataclass(frozen=True)
class ReplayPlan:
    name: str
    archive_arn: str
    bus_name: str
    bus_arn: str
    start: datetime
    end: datetime
    detail_types: tuple[str, ...] = ()
    # Consumer rule name -> the detail-types it would receive from this replay.
    routed: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplayStatus:
    name: str
    state: str
    reason: str
    # How far through the window the replay has got, 0..1 (None before it starts sending).
    fraction: float | None


class DetailTypeNotRouted(ValueError):
    """No rule on the bus routes a requested detail-type: replaying it would reach no one."""


def plan_replay(
    events: Any,
    name: str,
    archive_name: str,
    bus_name: str,
    start: datetime,
    end: datetime,
    detail_types: Sequence[str] = (),
) -> ReplayPlan:
    archive_arn = str(events.describe_archive(ArchiveName=archive_name)["ArchiveArn"])
    bus_arn = str(events.describe_event_bus(Name=bus_name)["Arn"])
    routed: dict[str, list[str]] = {}
    if detail_types:
        for rule in _consumer_rules(events, bus_name):
            pattern = json.loads(rule.get("EventPattern") or "{}")
            wanted = [t for t in pattern.get("detail-type", []) if t in detail_types]
            if wanted:
                routed[rule["Name"]] = wanted
        unrouted = set(detail_types) - {t for ts in routed.values() for t in ts}
        if unrouted:
            raise DetailTypeNotRouted(", ".join(sorted(unrouted)))
    return ReplayPlan(
        name=name,
        archive_arn=archive_arn,
        bus_name=bus_name,
        bus_arn=bus_arn,
        start=start,
        end=end,
        detail_types=tuple(detail_types),
        routed=routed,
    )


def _consumer_rules(events: Any, bus_name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for page in events.get_paginator("list_rules").paginate(EventBusName=bus_name):
        for rule in page["Rules"]:
            # The archive's own managed rule and earlier temporary rules are not consumers.
            managed = rule.get("ManagedBy") or rule["Name"].startswith("Events-Archive-")
            if not managed and not rule["Name"].startswith(TEMPORARY_RULE_PREFIX):
                rules.append(rule)
    return rules


def start_replay(events: Any, plan: ReplayPlan) -> list[str]:
    """Create the temporary rules (if filtering) and start the replay; their names."""
    temporary = _create_temporary_rules(events, plan) if plan.detail_types else []
    destination: dict[str, Any] = {"Arn": plan.bus_arn}
    if temporary:
        destination["FilterArns"] = [arn for _, arn in temporary]
    try:
        events.start_replay(
            ReplayName=plan.name,
            Description=_description(plan),
            EventSourceArn=plan.archive_arn,
            EventStartTime=plan.start,
            EventEndTime=plan.end,
            Destination=destination,
        )
    except Exception:
        remove_temporary_rules(events, plan.bus_name, [n for n, _ in temporary])
        raise
    return [n for n, _ in temporary]


def _description(plan: ReplayPlan) -> str:
    kinds = ", ".join(plan.detail_types) if plan.detail_types else "all detail-types"
    return f"linecal replay of {kinds}"[:512]


def _create_temporary_rules(events: Any, plan: ReplayPlan) -> list[tuple[str, str]]:
    created: list[tuple[str, str]] = []
    try:
        for index, (rule_name, detail_types) in enumerate(sorted(plan.routed.items())):
            rule = events.describe_rule(Name=rule_name, EventBusName=plan.bus_name)
            pattern = json.loads(rule["EventPattern"])
            pattern["detail-type"] = detail_types
            pattern["replay-name"] = [plan.name]
            name = f"{TEMPORARY_RULE_PREFIX}{plan.name}-{index}"[:64]
            arn = events.put_rule(
                Name=name,
                EventBusName=plan.bus_name,
                EventPattern=json.dumps(pattern),
                State="ENABLED",
                Description=f"temporary: replay {plan.name} for {rule_name}",
            )["RuleArn"]
            created.append((name, str(arn)))
            targets = events.list_targets_by_rule(Rule=rule_name, EventBusName=plan.bus_name)
            events.put_targets(Rule=name, EventBusName=plan.bus_name, Targets=targets["Targets"])
    except Exception:
        remove_temporary_rules(events, plan.bus_name, [n for n, _ in created])
        raise
    return created


def remove_temporary_rules(events: Any, bus_name: str, names: Sequence[str]) -> None:
    for name in names:
        targets = events.list_targets_by_rule(Rule=name, EventBusName=bus_name)["Targets"]
        if targets:
            events.remove_targets(Rule=name, EventBusName=bus_name, Ids=[t["Id"] for t in targets])
        events.delete_rule(Name=name, EventBusName=bus_name)


def replay_status(events: Any, plan: ReplayPlan) -> ReplayStatus:
    described = events.describe_replay(ReplayName=plan.name)
    last = described.get("EventLastReplayedTime")
    fraction: float | None = None
    window = (plan.end - plan.start).total_seconds()
    if described["State"] == "COMPLETED":
        fraction = 1.0
    elif last is not None and window > 0:
        fraction = min(1.0, max(0.0, (last - plan.start).total_seconds() / window))
    return ReplayStatus(
        name=plan.name,
        state=str(described["State"]),
        reason=str(described.get("StateReason", "")),
        fraction=fraction,
    )


def wait_for_replay(
    events: Any,
    plan: ReplayPlan,
    on_status: Callable[[ReplayStatus], None] | None = None,
    poll_seconds: float = 2.0,
    timeout_seconds: float = 3600.0,
) -> ReplayStatus:
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = replay_status(events, plan)
        if on_status:
            on_status(status)
        if status.state in ENDED_STATES or time.monotonic() > deadline:
            return status
        time.sleep(poll_seconds)
