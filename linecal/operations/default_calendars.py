"""Wiring the default-calendar migration to a stack: its tables, its bus, a checkpoint file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from linecal.operations.checkpoint import FileCheckpoint
from linecal.operations.dynamodb_users import (
    DynamoTokenTable,
    NamedTokenRows,
    QueriedPrimaryCalendars,
    SnapshotPrimaryCalendars,
    primary_calendar_users,
)
from linecal.operations.migration import (
    DefaultCalendarMigration,
    MigrationOptions,
    MigrationReport,
    ProgressCallback,
    ScanKey,
    ScanPage,
    TokenRow,
)
from linecal.operations.user_sets import DiskUserSet
from linecal.target import StackTarget
from shared.events import OPERATOR_SOURCE
from shared.publisher import EventPublisher


def migrate_default_calendars(
    target: StackTarget,
    options: MigrationOptions,
    checkpoint_path: Path,
    on_scanned: ProgressCallback | None = None,
    events_client: Any | None = None,
) -> MigrationReport:
    """A full (or `--limit`ed) run over every user, resumable from `checkpoint_path`."""
    dynamodb = target.client("dynamodb")
    tokens_table = target.resource("OAuthTokensTable")
    checkpoint = FileCheckpoint(checkpoint_path, tokens_table, options.total_segments)
    with DiskUserSet() as primaries:
        primary_calendar_users(dynamodb, target.resource("UserCalendarsTable"), primaries)
        migration = DefaultCalendarMigration(
            tokens=DynamoTokenTable(dynamodb, tokens_table),
            primaries=SnapshotPrimaryCalendars(primaries),
            sink=_publisher(target, events_client),
            progress=checkpoint,
            options=options,
            on_scanned=on_scanned,
        )
        return migration.run()


def migrate_named_users(
    target: StackTarget,
    user_ids: Sequence[str],
    options: MigrationOptions,
    on_scanned: ProgressCallback | None = None,
) -> tuple[MigrationReport, list[str]]:
    """A staged run over the users named; (report, named users with no token row)."""
    dynamodb = target.client("dynamodb")
    rows, unknown = NamedTokenRows(dynamodb, target.resource("OAuthTokensTable")).rows(user_ids)
    migration = DefaultCalendarMigration(
        tokens=_ListedRows(rows),
        primaries=QueriedPrimaryCalendars(dynamodb, target.resource("UserCalendarsTable")),
        sink=_publisher(target, None),
        progress=_NoCheckpoint(),
        options=replace(options, total_segments=1),
        on_scanned=on_scanned,
    )
    return migration.run(), unknown


def _publisher(target: StackTarget, events_client: Any | None) -> EventPublisher:
    return EventPublisher(
        bus_name=target.resource("EventBus"),
        source=OPERATOR_SOURCE,
        client=events_client or target.client("events"),
    )


class _ListedRows:
    """A `TokenTable` of one page: the rows already read for a staged run."""

    def __init__(self, rows: list[TokenRow]) -> None:
        self._rows = rows

    def page(
        self, segment: int, total_segments: int, start_key: ScanKey | None, limit: int
    ) -> ScanPage:
        return ScanPage(rows=self._rows, last_key=None)


class _NoCheckpoint:
    """A staged run over named users is short and safe to repeat: nothing to resume."""

    def __init__(self) -> None:
        self._finished: set[int] = set()

    def position(self, segment: int) -> tuple[ScanKey | None, bool]:
        return None, segment in self._finished

    def advance(self, segment: int, last_key: ScanKey | None, finished: bool) -> None:
        if finished:
            self._finished.add(segment)
