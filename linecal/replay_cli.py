"""`linecal replay`: re-send archived bus events of a time window to their consumers.

Exit codes: 0 the replay completed (or, without --wait, started); 1 it failed or was
cancelled; 2 it could not start (no stack, bad window, a detail-type no rule routes).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from linecal.operations.replay import (
    DetailTypeNotRouted,
    ReplayPlan,
    ReplayStatus,
    plan_replay,
    remove_temporary_rules,
    start_replay,
    wait_for_replay,
)
from linecal.target import (
    DEFAULT_STACK_NAME,
    DEFAULT_URL,
    StackNameOption,
    TargetNotFound,
    UrlOption,
    find_target,
)
from shared.events import EVENT_TYPES

replay_app = typer.Typer(help="Replay archived events for backfill.")
console = Console()


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@replay_app.callback(invoke_without_command=True)
def replay(
    start: Annotated[str, typer.Option("--from", help="Window start, ISO 8601 (UTC if no zone).")],
    end: Annotated[str, typer.Option("--to", help="Window end, ISO 8601 (UTC if no zone).")],
    detail_type: Annotated[
        list[str] | None,
        typer.Option("--detail-type", help="Only this detail-type (repeatable)."),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the replay to its end.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be replayed to whom.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
) -> None:
    """Replay the bus archive from --from to --to, e.g. after fixing a consumer."""
    try:
        window = (_moment(start), _moment(end))
    except ValueError as exc:
        console.print(f"[red]not an ISO 8601 time: {exc}[/]")
        raise typer.Exit(2) from None
    if window[0] >= window[1]:
        console.print("[red]--from must be before --to[/]")
        raise typer.Exit(2)
    kinds = list(dict.fromkeys(detail_type or []))
    unknown = [k for k in kinds if k not in EVENT_TYPES]
    if unknown:
        console.print(f"[red]unknown detail-type(s): {', '.join(unknown)}[/]")
        raise typer.Exit(2)

    try:
        target = find_target(url, stack_name)
        events = target.client("events")
        plan = plan_replay(
            events,
            name=f"linecal-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}",
            archive_name=target.resource("EventArchive"),
            bus_name=target.resource("EventBus"),
            start=window[0],
            end=window[1],
            detail_types=kinds,
        )
    except (TargetNotFound, DetailTypeNotRouted, ClientError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/]")
        raise typer.Exit(2) from None

    console.print(f"replay {plan.name} on {target.description}")
    console.print(f"  window {plan.start.isoformat()} .. {plan.end.isoformat()}")
    for rule, types in sorted(plan.routed.items()):
        console.print(f"  {', '.join(types)} -> consumers of rule {rule}")
    if dry_run:
        console.print("[bold]replay: dry run, nothing replayed[/]")
        return

    temporary = start_replay(events, plan)
    # Temporary rules must outlive the replay, so a filtered replay is always followed.
    if not wait and not temporary:
        console.print(f"[bold]replay: {plan.name} started; `--wait` follows it[/]")
        return
    try:
        status = _follow(events, plan)
    finally:
        remove_temporary_rules(events, plan.bus_name, temporary)
    console.print(
        f"[bold]replay: {plan.name} {status.state}"
        + (f" ({status.reason})" if status.reason else "")
        + "[/]"
    )
    if status.state != "COMPLETED":
        raise typer.Exit(1)


def _follow(events: Any, plan: ReplayPlan) -> ReplayStatus:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("replaying", total=1.0)

        def show(status: ReplayStatus) -> None:
            progress.update(
                task, description=f"replay {status.state}", completed=status.fraction or 0.0
            )

        return wait_for_replay(events, plan, on_status=show)
