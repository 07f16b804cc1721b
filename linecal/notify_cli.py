"""`linecal notify`: run the minute tick's fan-out by hand, with an explicit clock.

`linecal notify digest --at 2026-12-03T07:00+09:00` queues a digest for every user whose
digest is due at that minute, exactly as the scheduled tick would, on a local stack or
the deployed one; with `--wait` it then watches the workers drain the queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from linecal.target import (
    DEFAULT_STACK_NAME,
    DEFAULT_URL,
    StackNameOption,
    StackTarget,
    TargetNotFound,
    UrlOption,
    find_target,
)
from services.notification.adapters.user_settings import DueUsersIndex
from services.notification.adapters.work_queue import SqsWorkQueue
from services.notification.fanout import FanOut, fan_out_digests, fan_out_reminders
from services.notification.fanout import Progress as FanOutProgress
from services.notification.ports import DueUsers, WorkQueue

notify_app = typer.Typer(
    help="Notifications: run a digest or reminder cycle by hand.", no_args_is_help=True
)
console = Console()

AtOption = Annotated[
    str,
    typer.Option(
        "--at", help="The cycle's clock, ISO 8601 with an offset: 2026-12-03T07:00:00+09:00."
    ),
]
WaitOption = Annotated[
    bool, typer.Option(help="Wait until the workers have drained the notification queue.")
]
TimeoutOption = Annotated[float, typer.Option(help="Seconds to wait for the queue to drain.")]

FanOutFunction = Callable[[datetime, DueUsers, WorkQueue, FanOutProgress | None], FanOut]


@notify_app.command("digest")
def digest(
    at: AtOption,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
    wait: WaitOption = True,
    timeout: TimeoutOption = 300.0,
) -> None:
    """Queue the digest of every user due at AT (their digest minute, in UTC)."""
    _run_cycle("digest", fan_out_digests, at, url, stack_name, wait, timeout)


@notify_app.command("reminders")
def reminders(
    at: AtOption,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
    wait: WaitOption = True,
    timeout: TimeoutOption = 300.0,
) -> None:
    """Queue a reminder check for every user whose next wake is AT."""
    _run_cycle("reminders", fan_out_reminders, at, url, stack_name, wait, timeout)


def _run_cycle(
    kind: str,
    fan_out: FanOutFunction,
    at_text: str,
    url: str,
    stack_name: str,
    wait: bool,
    timeout: float,
) -> None:
    at = _parse_at(at_text)
    try:
        target = find_target(url, stack_name)
        queue_url = target.resource("NotificationQueue")
        table = target.resource("UserSettingsTable")
    except TargetNotFound as exc:
        console.print(f"[red]{exc}[/]. Is `linecal local up` running? (--url / --stack-name)")
        raise typer.Exit(2) from None

    sqs = target.client("sqs")
    dead_before = _visible(sqs, target.resource("NotificationDLQ"))
    started = time.monotonic()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"queueing {kind} for {at:%Y-%m-%dT%H:%MZ}", total=None)
        summary = fan_out(
            at,
            DueUsersIndex(table, target.client("dynamodb")),
            SqsWorkQueue(queue_url, sqs),
            lambda queued: progress.update(task, description=f"queued {queued} user(s)"),
        )
        progress.update(task, description=f"queued {summary.queued} user(s)")
        drained = True
        if wait and summary.queued:
            progress.update(task, description="waiting for the workers")
            drained = _wait_until_drained(sqs, queue_url, timeout)

    seconds = time.monotonic() - started
    failed = _visible(sqs, target.resource("NotificationDLQ")) - dead_before
    console.print(_summary(kind, summary, target, seconds, wait, drained, failed))
    if not drained or failed > 0:
        raise typer.Exit(1)


def _parse_at(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        console.print("[red]--at needs an ISO time with an offset[/], e.g. 2026-12-03T07:00+09:00")
        raise typer.Exit(2)
    return at


def _summary(
    kind: str,
    summary: FanOut,
    target: StackTarget,
    seconds: float,
    wait: bool,
    drained: bool,
    failed: int,
) -> str:
    minutes = ", ".join(summary.minutes)
    line = f"{kind}: {summary.queued} user(s) due at {minutes} UTC queued on {target.description}"
    if wait and summary.queued:
        line += "; workers done" if drained else "; [red]workers not done in time[/]"
    if failed > 0:
        line += f"; [red]{failed} message(s) dead-lettered[/]"
    return line + f" ({seconds:.1f}s)"


def _visible(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def _wait_until_drained(sqs: Any, queue_url: str, timeout: float) -> bool:
    """True once the queue has had nothing visible or in flight twice in a row."""
    deadline = time.monotonic() + timeout
    empty_polls = 0
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
        )
        empty_polls = empty_polls + 1 if waiting == 0 else 0
        if empty_polls >= 2:
            return True
        time.sleep(0.5)
    return False
