"""The default-calendar migration over fakes: who gets an event, empty pages, limits, resume."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from linecal.operations.checkpoint import CheckpointMismatch, FileCheckpoint
from linecal.operations.migration import (
    DefaultCalendarMigration,
    MigrationOptions,
    ScanKey,
    ScanPage,
    TokenRow,
    default_calendar_event,
)
from linecal.operations.user_sets import DiskUserSet
from shared.events import DomainEvent, UserNeedsDefaultCalendar


def user_id(n: int) -> str:
    return f"U{n:032x}"


def row(n: int, status: str = "linked", has_token: bool = True) -> TokenRow:
    return TokenRow(
        key={"userId": {"S": user_id(n)}}, user_id=user_id(n), status=status, has_token=has_token
    )


class FakeTokenTable:
    """Rows split into segments by number, served `limit` at a time; every `empty_every`-th
    page comes back empty with a LastEvaluatedKey, as a filtered DynamoDB scan can."""

    def __init__(self, rows: Sequence[TokenRow], empty_every: int = 0) -> None:
        self._rows = list(rows)
        self._empty_every = empty_every
        self.calls = 0
        self.empty_pages = 0

    def page(
        self, segment: int, total_segments: int, start_key: ScanKey | None, limit: int
    ) -> ScanPage:
        self.calls += 1
        mine = [r for i, r in enumerate(self._rows) if i % total_segments == segment]
        start = 0
        if start_key:
            start = next(i for i, r in enumerate(mine) if r.key == start_key) + 1
        if self._empty_every and self.calls % self._empty_every == 0 and 0 < start < len(mine):
            # Nothing returned, but the scan is not over: the key says where it stands.
            self.empty_pages += 1
            return ScanPage(rows=[], last_key=mine[start - 1].key)
        chunk = mine[start : start + limit]
        end = start + len(chunk)
        return ScanPage(rows=chunk, last_key=chunk[-1].key if end < len(mine) else None)


class FakePrimaries:
    def __init__(self, users: set[str] | None = None) -> None:
        self.users = users or set()

    def users_with_primary(self, user_ids: Sequence[str]) -> set[str]:
        return {u for u in user_ids if u in self.users}


class RecordingBus:
    def __init__(self, fail_after_calls: int | None = None) -> None:
        self.events: list[DomainEvent] = []
        self.calls = 0
        self._fail_after = fail_after_calls

    def publish(self, *events: DomainEvent) -> None:
        if self._fail_after is not None and self.calls >= self._fail_after:
            raise ConnectionError("the network went away")
        self.calls += 1
        assert len(events) <= 10
        self.events.extend(events)

    def users(self) -> Counter[str]:
        return Counter(e.user_id for e in self.events if isinstance(e, UserNeedsDefaultCalendar))


class MemoryProgress:
    def __init__(self) -> None:
        self.saved: dict[int, tuple[ScanKey | None, bool]] = {}

    def position(self, segment: int) -> tuple[ScanKey | None, bool]:
        return self.saved.get(segment, (None, False))

    def advance(self, segment: int, last_key: ScanKey | None, finished: bool) -> None:
        self.saved[segment] = (last_key, finished)


def migrate(table, primaries=None, bus=None, progress=None, **options):  # type: ignore[no-untyped-def]
    bus = bus or RecordingBus()
    migration = DefaultCalendarMigration(
        tokens=table,
        primaries=primaries or FakePrimaries(),
        sink=bus,
        progress=progress or MemoryProgress(),
        options=MigrationOptions(**{"page_size": 7, "total_segments": 3, **options}),
    )
    return migration.run(), bus


def test_every_linked_user_without_a_primary_row_gets_exactly_one_event() -> None:
    # GIVEN 100 linked users, 10 of whom already have a primary calendar
    rows = [row(n) for n in range(100)]
    primaries = FakePrimaries({user_id(n) for n in range(0, 100, 10)})

    # WHEN the migration runs
    report, bus = migrate(FakeTokenTable(rows), primaries)

    # THEN the 90 others get one event each, in calls of at most ten
    assert bus.users() == Counter({user_id(n): 1 for n in range(100) if n % 10})
    assert report.published == 90 and report.already_primary == 10 and report.complete


def test_pages_that_come_back_empty_mid_way_do_not_end_the_scan() -> None:
    rows = [row(n) for n in range(60)]
    table = FakeTokenTable(rows, empty_every=2)

    report, bus = migrate(table)

    assert table.empty_pages >= 3
    assert set(bus.users()) == {user_id(n) for n in range(60)}
    assert report.scanned == 60 and report.complete


def test_revoked_and_broken_rows_get_no_event() -> None:
    rows = [
        row(1),
        row(2, status="revoked"),
        row(3, has_token=False),
        TokenRow(
            key={"userId": {"S": "not-a-line-id"}},
            user_id="not-a-line-id",
            status="linked",
            has_token=True,
        ),
    ]

    report, bus = migrate(FakeTokenTable(rows))

    assert list(bus.users()) == [user_id(1)]
    assert (report.not_linked, report.invalid) == (1, 2)


def test_a_limited_run_then_a_full_run_reach_everyone_once() -> None:
    # GIVEN a staged run of 5 that keeps its place
    rows = [row(n) for n in range(50)]
    progress = MemoryProgress()
    bus = RecordingBus()
    staged, _ = migrate(FakeTokenTable(rows), bus=bus, progress=progress, limit=5)
    assert staged.published == 5 and not staged.complete

    # WHEN the full run resumes from the same place
    full, _ = migrate(FakeTokenTable(rows), bus=bus, progress=progress)

    # THEN every user got exactly one event across both runs
    assert bus.users() == Counter({user_id(n): 1 for n in range(50)})
    assert full.published == 45 and full.complete


def test_a_run_that_dies_half_way_resumes_without_missing_or_doubling(tmp_path: Path) -> None:
    rows = [row(n) for n in range(200)]
    checkpoint = tmp_path / "checkpoint.json"

    # GIVEN a run whose bus fails after 8 successful calls
    first = RecordingBus(fail_after_calls=8)
    report, _ = migrate(
        FakeTokenTable(rows), bus=first, progress=FileCheckpoint(checkpoint, "tokens", 3)
    )
    assert report.errors and not report.complete
    assert 0 < len(first.events) < 200

    # WHEN it is run again with the same checkpoint file
    second = RecordingBus()
    again, _ = migrate(
        FakeTokenTable(rows), bus=second, progress=FileCheckpoint(checkpoint, "tokens", 3)
    )

    # THEN both runs together reached every user exactly once
    assert again.complete
    assert (first.users() + second.users()) == Counter({user_id(n): 1 for n in range(200)})


def test_a_finished_run_run_again_publishes_nothing(tmp_path: Path) -> None:
    rows = [row(n) for n in range(30)]
    checkpoint = tmp_path / "checkpoint.json"
    migrate(FakeTokenTable(rows), progress=FileCheckpoint(checkpoint, "tokens", 3))

    report, bus = migrate(FakeTokenTable(rows), progress=FileCheckpoint(checkpoint, "tokens", 3))

    assert bus.events == [] and report.complete


def test_a_dry_run_publishes_nothing_and_keeps_no_position() -> None:
    progress = MemoryProgress()
    report, bus = migrate(
        FakeTokenTable([row(n) for n in range(20)]), progress=progress, dry_run=True
    )

    assert report.published == 20 and bus.events == [] and progress.saved == {}


def test_a_checkpoint_of_another_shape_is_refused(tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint.json"
    FileCheckpoint(checkpoint, "tokens", 3).advance(0, {"userId": {"S": user_id(1)}}, False)

    with pytest.raises(CheckpointMismatch):
        FileCheckpoint(checkpoint, "tokens", 4)
    assert json.loads(checkpoint.read_text())["segments"]["0"]["finished"] is False


def test_a_users_event_is_the_same_event_every_time() -> None:
    # A resent event must look like a duplicate to the consumer's idempotency.
    assert (
        default_calendar_event(user_id(7), "run-a").event_id
        == default_calendar_event(user_id(7), "run-b").event_id
    )
    assert (
        default_calendar_event(user_id(7), "r").event_id
        != default_calendar_event(user_id(8), "r").event_id
    )


def test_the_disk_user_set_answers_membership_in_bulk() -> None:
    with DiskUserSet() as users:
        users.add(user_id(n) for n in range(0, 2000, 2))

        assert users.present([user_id(n) for n in range(10)]) == {
            user_id(n) for n in (0, 2, 4, 6, 8)
        }
        assert len(users) == 1000
        assert sum(1 for _ in users) == 1000
