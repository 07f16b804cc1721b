"""Moving existing users onto multi-calendar support: one `UserNeedsDefaultCalendar` each.

The subscription service answers that event by subscribing the user's primary calendar, so
a user who already has a primary row needs nothing. The run reads `OAuthTokensTable` in a
parallel paginated scan and publishes for linked users without a primary row. Progress is
kept per scan segment in a checkpoint, so an interrupted run resumes where it stopped, and
each user's event has an id derived from the user, so a resent event is the same event
to the consumer's idempotency.

Nothing here imports boto3: the table, the primary-row lookup, the bus and the checkpoint
are ports, implemented in `linecal.operations.dynamodb_users` and `checkpoint`.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.events import DomainEvent, UserNeedsDefaultCalendar

ScanKey = dict[str, Any]

LINKED = "linked"
REVOKED = "revoked"
# LINE's user ids are U + 32 hex digits; the local sandbox lets people pick readable ones
# ("Uexample"), so only the shape a LINE user id must start with is required.
_LINE_USER_ID = re.compile(r"^U[0-9A-Za-z_-]{1,64}$")
_EVENT_ID_NAMESPACE = uuid.UUID("6f1f3c1e-8a55-4d0b-9a43-5b0f6d1c2a7e")


@dataclass(frozen=True)
class TokenRow:
    """What the migration reads of one `OAuthTokensTable` item (never the token itself)."""

    key: ScanKey
    user_id: str
    status: str
    has_token: bool

    @property
    def is_valid(self) -> bool:
        return bool(_LINE_USER_ID.match(self.user_id)) and self.has_token

    @property
    def is_linked(self) -> bool:
        return self.is_valid and self.status == LINKED


@dataclass(frozen=True)
class ScanPage:
    rows: list[TokenRow]
    # None once the segment has been read to its end; an empty page may still have one.
    last_key: ScanKey | None


class TokenTable(Protocol):
    def page(
        self, segment: int, total_segments: int, start_key: ScanKey | None, limit: int
    ) -> ScanPage:
        """One scan page of one segment, starting after `start_key`."""
        ...


class PrimaryCalendars(Protocol):
    def users_with_primary(self, user_ids: Sequence[str]) -> set[str]:
        """Those of `user_ids` that have a primary row in `UserCalendarsTable`."""
        ...


class EventSink(Protocol):
    def publish(self, *events: DomainEvent) -> None:
        """Publish all, or raise naming those that were not published."""
        ...


class SegmentProgress(Protocol):
    """Where each scan segment got to; saved after every batch of events."""

    def position(self, segment: int) -> tuple[ScanKey | None, bool]:
        """(last handled key, finished) of a segment."""
        ...

    def advance(self, segment: int, last_key: ScanKey | None, finished: bool) -> None: ...


def default_calendar_event(user_id: str, run_id: str) -> UserNeedsDefaultCalendar:
    """The user's migration event; its id depends only on the user, so resends match."""
    event_id = uuid.uuid5(_EVENT_ID_NAMESPACE, f"UserNeedsDefaultCalendar:{user_id}").hex
    return UserNeedsDefaultCalendar(user_id=user_id, event_id=event_id, correlation_id=run_id)


@dataclass
class MigrationReport:
    scanned: int = 0
    published: int = 0
    already_primary: int = 0
    not_linked: int = 0
    invalid: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    segments_finished: int = 0
    total_segments: int = 0

    @property
    def complete(self) -> bool:
        return self.segments_finished == self.total_segments and not self.errors


@dataclass(frozen=True)
class MigrationOptions:
    total_segments: int = 4
    page_size: int = 200
    limit: int | None = None
    dry_run: bool = False
    run_id: str = "migration"


ProgressCallback = Callable[[int], None]


class DefaultCalendarMigration:
    """Publishes `UserNeedsDefaultCalendar` for every linked user without a primary row."""

    def __init__(
        self,
        tokens: TokenTable,
        primaries: PrimaryCalendars,
        sink: EventSink,
        progress: SegmentProgress,
        options: MigrationOptions,
        on_scanned: ProgressCallback | None = None,
    ) -> None:
        self._tokens = tokens
        self._primaries = primaries
        self._sink = sink
        self._progress = progress
        self._options = options
        self._on_scanned = on_scanned or (lambda _: None)
        self._report = MigrationReport(total_segments=options.total_segments)
        self._lock = threading.Lock()
        self._remaining = options.limit
        self._stop = threading.Event()

    def run(self) -> MigrationReport:
        segments = range(self._options.total_segments)
        with ThreadPoolExecutor(max_workers=self._options.total_segments) as pool:
            outcomes = list(pool.map(self._run_segment_safely, segments))
        self._report.segments_finished = sum(outcomes)
        return self._report

    def _run_segment_safely(self, segment: int) -> bool:
        try:
            return self._run_segment(segment)
        except Exception as exc:
            # One segment's failure stops the others at their next batch; the checkpoint
            # keeps every segment where its last published batch left it.
            self._stop.set()
            with self._lock:
                self._report.errors.append(f"segment {segment}: {type(exc).__name__}: {exc}")
                failed = getattr(exc, "failed", None)
                if isinstance(failed, list):
                    self._report.failed += len(failed)
            return False

    def _run_segment(self, segment: int) -> bool:
        start_key, finished = self._progress.position(segment)
        while not finished:
            if self._stop.is_set() or self._remaining == 0:
                return False
            page = self._tokens.page(
                segment, self._options.total_segments, start_key, self._options.page_size
            )
            if self._handle_page(segment, page) == "limit reached":
                # The position saved is after the last published batch, so the next run
                # starts with this page's first user not yet handled.
                return False
            start_key, finished = page.last_key, page.last_key is None
            if not self._options.dry_run:
                self._progress.advance(segment, start_key, finished)
        return True

    def _handle_page(self, segment: int, page: ScanPage) -> str:
        linked = [row for row in page.rows if row.is_linked]
        with_primary = self._primaries.users_with_primary([r.user_id for r in linked])
        with self._lock:
            self._report.scanned += len(page.rows)
            self._report.invalid += sum(1 for r in page.rows if not r.is_valid)
            self._report.not_linked += sum(1 for r in page.rows if r.is_valid and not r.is_linked)
            self._report.already_primary += len(with_primary)
        self._on_scanned(len(page.rows))

        due = [row for row in linked if row.user_id not in with_primary]
        for batch in _batches(due, 10):
            if self._stop.is_set():
                raise MigrationStopped("another segment failed")
            granted = self._claim(len(batch))
            if granted:
                published = batch[:granted]
                events = [
                    default_calendar_event(r.user_id, self._options.run_id) for r in published
                ]
                if not self._options.dry_run:
                    self._sink.publish(*events)
                    # Every row up to this one is handled: published, or not due.
                    self._progress.advance(segment, published[-1].key, finished=False)
                with self._lock:
                    self._report.published += granted
            if granted < len(batch):
                return "limit reached"
        return "page done"

    def _claim(self, wanted: int) -> int:
        with self._lock:
            if self._remaining is None:
                return wanted
            granted = min(wanted, self._remaining)
            self._remaining -= granted
            return granted


class MigrationStopped(RuntimeError):
    """A segment stopped because another one failed."""


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
