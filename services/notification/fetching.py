"""Reading a user's subscribed calendars: every page, sync tokens, a cached copy per calendar.

A calendar with a sync token costs one events.list call when nothing changed. A stale
token (410) drops that calendar's copy and does one full sync. A calendar the user can no
longer read (404, 403) is reported by name and does not stop the others. Rate limits and
5xx are retried with backoff by the Google client, then raised so SQS retries the record;
a refused grant is raised for the caller to handle once per user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from services.notification.domain.agenda import (
    CalendarLabel,
    LabelledEvent,
    MergedEvent,
    Window,
    merge_calendars,
)
from services.notification.domain.calendar_events import overlaps
from services.notification.domain.calendar_sync import CalendarCache, is_busy_only, sync_horizon
from services.notification.ports import CalendarSource, Meter, SyncCaches
from shared.google_calendar import (
    CalendarAccessDenied,
    CalendarNotFound,
    GoogleRateLimited,
    SyncTokenExpired,
)
from shared.subscriptions import SubscribedCalendar

logger = Logger(service="notification", child=True)

# NOTE: a guard against a page-token loop; Google's pages are at most 2,500 events.
MAX_PAGES = 200


@dataclass(frozen=True)
class Reading:
    events: list[MergedEvent]
    unreadable: list[str]


class CalendarReader:
    def __init__(
        self, caches: SyncCaches, meter: Meter, horizon_days: int = 35, page_size: int = 250
    ) -> None:
        self._caches = caches
        self._meter = meter
        self._horizon_days = horizon_days
        self._page_size = page_size

    def read(
        self,
        user_id: str,
        calendars: Sequence[SubscribedCalendar],
        source: CalendarSource,
        needed: Window,
    ) -> Reading:
        """The events touching `needed` from every calendar, merged, and those unreadable."""
        cached = self._caches.load_all(user_id)
        labelled: list[LabelledEvent] = []
        unreadable: list[str] = []
        for calendar in calendars:
            try:
                cache = self._synced(user_id, calendar.calendar_id, cached, source, needed)
            except (CalendarNotFound, CalendarAccessDenied) as exc:
                logger.warning("calendar unreadable", status=exc.status, reason=exc.reason)
                self._meter.count("CalendarUnreadable")
                if calendar.calendar_id in cached:
                    self._caches.delete(user_id, calendar.calendar_id)
                unreadable.append(calendar.name)
                continue
            label = CalendarLabel(calendar.calendar_id, calendar.name, cache.busy_only)
            labelled.extend(
                LabelledEvent(event, label)
                for event in cache.events.values()
                if overlaps(event, needed.start, needed.end)
            )
        return Reading(merge_calendars(labelled), unreadable)

    def _synced(
        self,
        user_id: str,
        calendar_id: str,
        cached: dict[str, CalendarCache],
        source: CalendarSource,
        needed: Window,
    ) -> CalendarCache:
        cache = cached.get(calendar_id)
        if cache is not None and cache.covers(needed):
            try:
                if self._fetch(source, cache, incremental=True):
                    self._caches.save(user_id, cache)
                return cache
            except SyncTokenExpired:
                logger.info("sync token expired: full sync")
                self._meter.count("SyncTokenExpired")

        fresh = CalendarCache(calendar_id, sync_horizon(needed, self._horizon_days))
        self._fetch(source, fresh, incremental=False)
        self._caches.save(user_id, fresh)
        self._meter.count("FullSyncs")
        return fresh

    def _fetch(self, source: CalendarSource, cache: CalendarCache, incremental: bool) -> bool:
        """Read every page into `cache`; True if anything changed. The sync token is the
        one on the last page: Google gives it nowhere else."""
        changed = not incremental
        page_token: str | None = None
        for _ in range(MAX_PAGES):
            self._meter.count("GoogleCalls")
            try:
                page = source.events_page(
                    cache.calendar_id,
                    time_min=None if incremental else cache.horizon.start.isoformat(),
                    time_max=None if incremental else cache.horizon.end.isoformat(),
                    sync_token=cache.sync_token if incremental else None,
                    page_token=page_token,
                    max_results=self._page_size,
                )
            except GoogleRateLimited:
                self._meter.count("GoogleRateLimited")
                raise
            items = page.get("items") or []
            busy_only = is_busy_only(page.get("accessRole"))
            changed = changed or bool(items) or busy_only != cache.busy_only
            cache.busy_only = busy_only
            cache.apply(items)
            page_token = page.get("nextPageToken")
            if not page_token:
                cache.sync_token = page.get("nextSyncToken")
                return changed
        raise RuntimeError("events.list kept answering with more pages")
