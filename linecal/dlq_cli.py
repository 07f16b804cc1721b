"""`linecal dlq`: see what is dead-lettered, look inside, and send it back to its consumer.

QUEUE is a DLQ's logical id from the template (CommandDLQ), or its queue name.
Exit codes: 0 done; 1 some messages could not be moved; 2 no stack or no such queue.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linecal.operations.dead_letters import (
    RedriveReport,
    move_messages,
    peek,
    queue_depth,
    queue_name,
    start_move_task,
    wait_for_move_task,
)
from linecal.target import (
    DEFAULT_STACK_NAME,
    DEFAULT_URL,
    StackNameOption,
    StackTarget,
    UrlOption,
    target_or_exit,
)

dlq_app = typer.Typer(help="Dead-letter queues: list, peek, redrive.", no_args_is_help=True)
console = Console()


def _target(url: str, stack_name: str) -> StackTarget:
    return target_or_exit(url, stack_name, console)


def _dlq(target: StackTarget, queue: str) -> tuple[str, str]:
    """(logical id, URL) of the DLQ named by logical id or queue name."""
    for logical_id, url in target.dead_letter_queues().items():
        if queue in (logical_id, queue_name(url)):
            return logical_id, url
    known = ", ".join(sorted(target.dead_letter_queues()))
    console.print(f"[red]no dead-letter queue {queue}; known: {known}[/]")
    raise typer.Exit(2)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dlq_app.command("list")
def list_queues(
    url: UrlOption = DEFAULT_URL, stack_name: StackNameOption = DEFAULT_STACK_NAME
) -> None:
    """Every DLQ with its depth and the age of its oldest message."""
    target = _target(url, stack_name)
    sqs = target.client("sqs")
    table = Table("DLQ", "queue", "messages", "in flight", "oldest")
    total = 0
    for logical_id, queue_url in sorted(target.dead_letter_queues().items()):
        depth = queue_depth(sqs, logical_id, queue_url)
        total += depth.visible + depth.in_flight
        oldest = _age(depth.oldest_age_seconds)
        if depth.sampled and depth.sampled < depth.visible:
            oldest += f" (of {depth.sampled} sampled)"
        table.add_row(
            logical_id, queue_name(queue_url), str(depth.visible), str(depth.in_flight), oldest
        )
    console.print(table)
    console.print(f"[bold]dlq: {total} message(s) in {len(target.dead_letter_queues())} DLQs[/]")


@dlq_app.command("peek")
def peek_queue(
    queue: Annotated[str, typer.Argument(help="CommandDLQ, SubscriptionDLQ, NotificationDLQ.")],
    count: Annotated[int, typer.Option("-n", "--count", min=1, max=100)] = 10,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
) -> None:
    """Show up to N messages with why they failed, leaving them in the queue."""
    target = _target(url, stack_name)
    logical_id, queue_url = _dlq(target, queue)
    letters = peek(target.client("sqs"), queue_url, count)
    for letter in letters:
        sent = letter.sent_at.isoformat(timespec="seconds") if letter.sent_at else "?"
        console.print(
            f"[bold]{letter.message_id}[/] sent {sent}, received {letter.receive_count}x",
            highlight=False,
        )
        console.print(
            f"  {letter.detail_type or '?'} from {letter.source or '?'}, "
            f"event_id={letter.event_id or '?'} bus_id={letter.bus_event_id or '?'}"
            + (f" replay={letter.replay_name}" if letter.replay_name else "")
            + (f" user={letter.user_hash}" if letter.user_hash else ""),
            markup=False,
            highlight=False,
        )
        console.print(f"  why: {letter.reason}", markup=False, highlight=False)
        console.print(f"  body: {letter.body_preview}", markup=False, highlight=False)
    console.print(f"[bold]peek: {len(letters)} message(s) shown from {logical_id}, none removed[/]")


@dlq_app.command("redrive")
def redrive(
    queue: Annotated[str, typer.Argument(help="CommandDLQ, SubscriptionDLQ, NotificationDLQ.")],
    rate: Annotated[int | None, typer.Option(min=1, help="At most R messages per second.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move.")] = False,
    self_move: Annotated[
        bool,
        typer.Option("--self-move", help="Move with receive/send/delete even where SQS can."),
    ] = False,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
) -> None:
    """Move the DLQ's messages back to the queue its consumer reads."""
    target = _target(url, stack_name)
    logical_id, dlq_url = _dlq(target, queue)
    source_url = target.source_queue_of(logical_id)
    sqs = target.client("sqs")
    depth = queue_depth(sqs, logical_id, dlq_url, sample=0)
    console.print(
        f"{logical_id}: {depth.visible} message(s) -> {queue_name(source_url)}"
        + (f" at {rate}/s" if rate else "")
    )
    if dry_run:
        console.print(f"[bold]redrive: would move {depth.visible} message(s); nothing moved[/]")
        return
    if depth.visible == 0:
        console.print("[bold]redrive: nothing to move[/]")
        return

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("moving", total=depth.visible)
        handle = None if self_move else start_move_task(sqs, dlq_url, source_url, rate)
        report: RedriveReport
        if handle is not None:
            report = wait_for_move_task(
                sqs,
                dlq_url,
                handle,
                on_moved=lambda moved, total: progress.update(task, completed=moved, total=total),
            )
        else:
            progress.update(task, description="moving (receive, send, delete)")
            report = move_messages(
                sqs,
                dlq_url,
                source_url,
                max_messages=depth.visible,
                rate=rate,
                on_moved=lambda n: progress.advance(task, n),
            )
    console.print(
        f"[bold]redrive: moved {report.moved} of {depth.visible} with {report.method}, "
        f"{report.send_failures} send failure(s), {report.state}[/]"
    )
    # The starting depth is approximate; what counts is that nothing movable is left.
    left = queue_depth(sqs, logical_id, dlq_url, sample=0).visible
    if report.state != "COMPLETED" or (report.moved < depth.visible and left):
        console.print(f"[red]{left} message(s) still in {logical_id}[/]")
        raise typer.Exit(1)
