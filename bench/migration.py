"""How fast and how lean is `linecal migrate default-calendars`?

    python bench/migration.py --users 20000          # the issue's size (about 10 minutes here)
    python bench/migration.py --users 5000           # a few minutes

Seeds an emulator (a moto server in its own process, so that tracemalloc counts only the
tool) with N linked users, then prints:
- users/s of the tool (parallel scan, PutEvents of 10) and of a naive loop that puts one
  event per user, timed on a sample; their ratio (goal >= 8);
- the tool's peak traced memory over N/5 users and over N users; their ratio (goal <= 1.2).

The subscription rule's target is pointed at a CloudWatch log group for the bench: moto's
SQS slows down with every message a queue holds, which would measure moto, not the tool.
Both loops run with tracemalloc on, so both pay its overhead. Compare the ratios, not the
absolute figures: the emulator does far less work per call than AWS and far more per entry.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linecal.local.moto_process import MotoProcess  # noqa: E402
from linecal.local.stack import deploy_local_stack  # noqa: E402
from linecal.operations.default_calendars import migrate_default_calendars  # noqa: E402
from linecal.operations.migration import MigrationOptions, MigrationReport  # noqa: E402
from linecal.target import StackTarget, find_target  # noqa: E402
from shared.events import OPERATOR_SOURCE, UserNeedsDefaultCalendar  # noqa: E402


def line_user_id(n: int) -> str:
    return f"U{n:032x}"


def seed(target: StackTarget, numbers: range) -> None:
    dynamodb = target.client("dynamodb")
    table = target.resource("OAuthTokensTable")
    for start in range(numbers.start, numbers.stop, 25):
        request: dict[str, Any] = {
            table: [
                {
                    "PutRequest": {
                        "Item": {
                            "userId": {"S": line_user_id(n)},
                            "sealedToken": {"B": b"sealed"},
                            "status": {"S": "linked"},
                        }
                    }
                }
                for n in range(start, min(start + 25, numbers.stop))
            ]
        }
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def route_to_log_group(target: StackTarget) -> None:
    events, logs = target.client("events"), target.client("logs")
    bus = target.resource("EventBus")
    rule = target.resource("SubscriptionRule").split("|")[-1]
    group = f"/linecal/bench/{rule}"
    logs.create_log_group(logGroupName=group)
    current = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
    events.remove_targets(Rule=rule, EventBusName=bus, Ids=[t["Id"] for t in current])
    arn = f"arn:aws:logs:{target.region}:123456789012:log-group:{group}"
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "bench", "Arn": arn}])


def run_tool(target: StackTarget, segments: int) -> tuple[MigrationReport, float, int]:
    """(report, seconds, peak traced bytes) of one fresh full run."""
    with tempfile.TemporaryDirectory() as directory:
        tracemalloc.start()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        report = migrate_default_calendars(
            target, MigrationOptions(total_segments=segments), Path(directory) / "checkpoint.json"
        )
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if not report.complete:
        raise SystemExit(f"the tool did not finish: {report.errors}")
    return report, seconds, peak


def run_naive(target: StackTarget, sample: int) -> float:
    """Users/s of one PutEvents call per user, in one loop, as a first script would."""
    events = target.client("events")
    bus = target.resource("EventBus")
    tracemalloc.start()
    started = time.perf_counter()
    for n in range(sample):
        event = UserNeedsDefaultCalendar(user_id=line_user_id(n))
        answer = events.put_events(
            Entries=[
                {
                    "EventBusName": bus,
                    "Source": OPERATOR_SOURCE,
                    "DetailType": event.detail_type(),
                    "Detail": json.dumps(event.model_dump(mode="json")),
                }
            ]
        )
        assert answer["FailedEntryCount"] == 0
    seconds = time.perf_counter() - started
    tracemalloc.stop()
    return sample / seconds


def bench(target: StackTarget, users: int, sample: int, segments: int) -> None:
    route_to_log_group(target)
    fifth = users // 5

    seed(target, range(fifth))
    small, small_seconds, small_peak = run_tool(target, segments)
    print(
        f"tool over {fifth} users: {fifth / small_seconds:.0f} users/s, "
        f"peak {small_peak / 1e6:.2f} MB"
    )

    seed(target, range(fifth, users))
    large, seconds, large_peak = run_tool(target, segments)
    tool_rate = large.published / seconds
    print(f"tool over {users} users: {tool_rate:.0f} users/s, peak {large_peak / 1e6:.2f} MB")

    naive_rate = run_naive(target, min(sample, users))
    print(
        f"naive loop, one PutEvents per user, {min(sample, users)} users: {naive_rate:.0f} users/s"
    )

    print(f"speed ratio tool/naive: {tool_rate / naive_rate:.1f} (goal >= 8)")
    print(f"memory ratio N/(N/5): {large_peak / small_peak:.2f} (goal <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=1_000, help="users for the naive loop")
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--url", help="use the local stack running there instead (its tables)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    if args.url:
        # NOTE: the running stack's consumers then see every event; use an idle stack.
        bench(find_target(args.url), args.users, args.sample, args.segments)
        return
    with MotoProcess() as moto:
        stack = deploy_local_stack(
            moto.endpoint_url, stack_name="linecal-bench", parameters={"Stage": "bench"}
        )
        target = StackTarget(
            description="bench stack",
            region=stack.region,
            resources=dict(stack.resources),
            endpoint_url=stack.endpoint_url,
        )
        print(f"emulator at {moto.endpoint_url}; seeding {args.users} users")
        bench(target, args.users, args.sample, args.segments)


if __name__ == "__main__":
    main()
