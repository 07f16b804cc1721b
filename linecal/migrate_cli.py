"""`linecal migrate`: moving existing users onto multi-calendar support, step by step.

Exit codes: 0 the step fully succeeded; 1 it ran but did not finish its work (events not
published, users still without a primary row); 2 it could not start (no stack, bad input).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from linecal.operations.checkpoint import CheckpointMismatch
from linecal.operations.default_calendars import migrate_default_calendars, migrate_named_users
from linecal.operations.dynamodb_users import backup_tables, restore_table
from linecal.operations.migration import MigrationOptions, MigrationReport
from linecal.operations.migration_checks import pre_check, users_without_primary, wait_until_drained
from linecal.target import (
    DEFAULT_STACK_NAME,
    DEFAULT_URL,
    StackNameOption,
    StackTarget,
    UrlOption,
    target_or_exit,
)
from shared.observability import hash_user_id

migrate_app = typer.Typer(help="Migrations of existing users' data.", no_args_is_help=True)
console = Console()

MIGRATED_TABLES = ("OAuthTokensTable", "UserCalendarsTable")


def _target(url: str, stack_name: str) -> StackTarget:
    return target_or_exit(url, stack_name, console)


@contextmanager
def _bar(description: str, total: int | None) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with progress:
        progress.add_task(description, total=total)
        yield progress


def _item_count(target: StackTarget, logical_id: str) -> int | None:
    # DynamoDB refreshes ItemCount about every six hours: a bar's total, not a fact.
    table = target.client("dynamodb").describe_table(TableName=target.resource(logical_id))
    count = table["Table"].get("ItemCount")
    return int(count) if count is not None else None


@migrate_app.command("default-calendars")
def default_calendars(
    check: Annotated[
        bool, typer.Option("--check", help="Count users and integrity problems; change nothing.")
    ] = False,
    backup: Annotated[
        Path | None,
        typer.Option(help="Back up both tables (on-demand backup + JSON lines in DIR), then stop."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Staged run: publish for at most N users.")
    ] = None,
    users: Annotated[
        Path | None, typer.Option(help="Staged run: only the user ids in FILE, one a line.")
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Wait for the subscription service, then list users still missing."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count who would get an event; publish nothing.")
    ] = False,
    checkpoint: Annotated[
        Path, typer.Option(help="Where the run keeps its progress, to resume after a stop.")
    ] = Path("linecal-migration.checkpoint.json"),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Forget the checkpoint and scan from the start.")
    ] = False,
    segments: Annotated[int, typer.Option(min=1, max=64, help="Parallel scan segments.")] = 4,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Items per scan page.")] = 200,
    verify_timeout: Annotated[
        float, typer.Option(help="Seconds --verify waits for the subscription queue.")
    ] = 600.0,
    missing_out: Annotated[
        Path | None, typer.Option(help="--verify writes the missing user ids to this file.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
) -> None:
    """Give every linked user a primary calendar: --check, --backup, staged, full, --verify."""
    only_steps = [check, backup is not None, verify]
    if sum(only_steps) > 1 or (limit is not None and users is not None):
        console.print("[red]give one step at a time: --check, --backup, --verify, or a run[/]")
        raise typer.Exit(2)

    target = _target(url, stack_name)
    if check:
        _check(target)
    elif backup is not None:
        _backup(target, backup)
    elif verify:
        _verify(target, verify_timeout, missing_out)
    elif users is not None:
        _staged_by_file(target, users, dry_run)
    else:
        _run(target, limit, dry_run, checkpoint, fresh, segments, page_size)


def _check(target: StackTarget) -> None:
    total = _item_count(target, "OAuthTokensTable")
    with _bar("reading OAuthTokensTable", total) as bar:
        report = pre_check(
            target.client("dynamodb"),
            target.resource("OAuthTokensTable"),
            target.resource("UserCalendarsTable"),
            on_scanned=lambda n: bar.advance(bar.task_ids[0], n),
        )
    console.print(f"token rows                       {report.token_rows}")
    console.print(f"  linked                         {report.linked}")
    console.print(f"    with a primary calendar      {report.linked_with_primary}")
    console.print(f"    to migrate                   {report.to_migrate}")
    console.print(f"  revoked links                  {report.revoked}")
    console.print(f"  other status                   {report.other_status}")
    console.print(f"  invalid rows (no LINE user id or no sealed token)  {report.invalid_rows}")
    console.print(f"calendar users without a token   {report.calendar_users_without_token}")
    console.print(
        f"[bold]check: {report.to_migrate} user(s) to migrate, "
        f"{report.integrity_problems} integrity finding(s); nothing changed[/]"
    )


def _backup(target: StackTarget, directory: Path) -> None:
    tables = {logical: target.resource(logical) for logical in MIGRATED_TABLES}
    total = sum(_item_count(target, logical) or 0 for logical in MIGRATED_TABLES)
    with _bar("exporting", total) as bar:
        results = backup_tables(
            target.client("dynamodb"),
            tables,
            directory,
            on_items=lambda n: bar.advance(bar.task_ids[0], n),
        )
    for result in results:
        console.print(
            f"{result.logical_id}: {result.items} items -> {directory / result.export_file}; "
            f"{result.backup_note}" + (f" ({result.backup_arn})" if result.backup_arn else "")
        )
    console.print(f"[bold]backup: {sum(r.items for r in results)} items in {directory}[/]")


def _run(
    target: StackTarget,
    limit: int | None,
    dry_run: bool,
    checkpoint: Path,
    fresh: bool,
    segments: int,
    page_size: int,
) -> None:
    if fresh and not dry_run:
        checkpoint.unlink(missing_ok=True)
    options = MigrationOptions(
        total_segments=segments,
        page_size=page_size,
        limit=limit,
        dry_run=dry_run,
        run_id=f"migration-{uuid.uuid4().hex[:12]}",
    )
    total = _item_count(target, "OAuthTokensTable")
    try:
        with _bar("scanning users", total) as bar:
            report = migrate_default_calendars(
                target,
                options,
                checkpoint,
                on_scanned=lambda n: bar.advance(bar.task_ids[0], n),
            )
    except CheckpointMismatch as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    _summarise(report, dry_run, limit is not None, checkpoint)


def _staged_by_file(target: StackTarget, users: Path, dry_run: bool) -> None:
    user_ids = [line.strip() for line in users.read_text(encoding="utf-8").splitlines()]
    user_ids = [u for u in user_ids if u and not u.startswith("#")]
    options = MigrationOptions(dry_run=dry_run, run_id=f"migration-{uuid.uuid4().hex[:12]}")
    with _bar("named users", len(user_ids)) as bar:
        report, unknown = migrate_named_users(
            target, user_ids, options, on_scanned=lambda n: bar.advance(bar.task_ids[0], n)
        )
    for user_id in unknown:
        console.print(f"[yellow]no token row for user {hash_user_id(user_id)}[/]")
    _summarise(report, dry_run, staged=True, checkpoint=None)
    if unknown:
        raise typer.Exit(1)


def _summarise(
    report: MigrationReport, dry_run: bool, staged: bool, checkpoint: Path | None
) -> None:
    for error in report.errors:
        console.print(f"[red]{error}[/]")
    verb = "would publish" if dry_run else "published"
    console.print(
        f"[bold]migration: scanned {report.scanned}, {verb} {report.published}, "
        f"already primary {report.already_primary}, not linked {report.not_linked}, "
        f"invalid {report.invalid}, failed {report.failed}[/]"
    )
    if report.errors:
        console.print(f"[red]stopped; run again to resume from {checkpoint}[/]")
        raise typer.Exit(1)
    if not report.complete and not staged:
        raise typer.Exit(1)


def _verify(target: StackTarget, timeout: float, missing_out: Path | None) -> None:
    sqs = target.client("sqs")
    queue = target.resource("SubscriptionQueue")
    with _bar("waiting for the subscription queue to drain", None) as bar:
        drained = wait_until_drained(
            sqs,
            queue,
            timeout,
            on_backlog=lambda n: bar.update(bar.task_ids[0], description=f"backlog {n}"),
        )
    if not drained:
        console.print(f"[red]the subscription queue did not drain in {timeout:.0f} s[/]")
        raise typer.Exit(1)

    missing = 0
    out = missing_out.open("w", encoding="utf-8") if missing_out else None
    try:
        with _bar("checking users", _item_count(target, "OAuthTokensTable")) as bar:
            for user_id in users_without_primary(
                target.client("dynamodb"),
                target.resource("OAuthTokensTable"),
                target.resource("UserCalendarsTable"),
                on_scanned=lambda n: bar.advance(bar.task_ids[0], n),
            ):
                missing += 1
                if out:
                    out.write(user_id + "\n")
                if missing <= 20:
                    bar.console.print(f"  no primary calendar: user {hash_user_id(user_id)}")
    finally:
        if out:
            out.close()
    console.print(f"[bold]verify: {missing} linked user(s) without a primary calendar[/]")
    if missing:
        if missing_out:
            console.print(f"their ids are in {missing_out}; re-run with --users {missing_out}")
        raise typer.Exit(1)


@migrate_app.command("restore")
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by --backup.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be put back.")] = False,
    url: UrlOption = DEFAULT_URL,
    stack_name: StackNameOption = DEFAULT_STACK_NAME,
) -> None:
    """Put the exported items back into the tables (items added since are left alone)."""
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        console.print(f"[red]{manifest_path} not found: not a backup directory[/]")
        raise typer.Exit(2)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    target = _target(url, stack_name)
    dynamodb = target.client("dynamodb")
    restored = 0
    total = sum(int(t["items"]) for t in manifest["tables"])
    with _bar("restoring" if not dry_run else "would restore", total) as bar:
        for table in manifest["tables"]:
            name = target.resource(table["logical_id"])
            if dry_run:
                bar.advance(bar.task_ids[0], int(table["items"]))
                restored += int(table["items"])
                continue
            restored += restore_table(
                dynamodb,
                name,
                directory / table["export_file"],
                on_items=lambda n: bar.advance(bar.task_ids[0], n),
            )
    verb = "would restore" if dry_run else "restored"
    console.print(f"[bold]restore: {verb} {restored} items from {directory}[/]")
    if restored != total:
        raise typer.Exit(1)
