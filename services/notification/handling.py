"""The notification service's use cases: digests, reminders, agendas and settings.

Each method is one unit of work for one user, safe to run twice: sends go through
`Deliveries`, which sends a notification at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from services.notification.delivery import Deliveries
from services.notification.domain import texts
from services.notification.domain.agenda import (
    Window,
    day_agenda,
    day_window,
    days_window,
    local_day,
)
from services.notification.domain.preferences import (
    InvalidSetting,
    Language,
    NotificationPreferences,
    changed_preferences,
    digest_minute,
    floor_minute,
    minute_key,
)
from services.notification.domain.reminders import (
    PlannedReminder,
    due_reminders,
    next_wake,
    plan_reminders,
)
from services.notification.fetching import CalendarReader, Reading
from services.notification.ports import (
    EventBus,
    GoogleLinks,
    Meter,
    SyncCaches,
    UserRecord,
    UserSettingsStore,
)
from shared.events import (
    AgendaRequested,
    CalendarSubscribed,
    CalendarUnsubscribed,
    DomainEvent,
    GoogleAccessRevoked,
    GoogleAccountLinked,
    LineUserUnfollowed,
    NotificationSettingsChanged,
)
from shared.google_calendar import GrantRevoked
from shared.line_messaging import retry_key_for
from shared.messages import OutgoingMessage
from shared.subscriptions import SubscribedCalendars

logger = Logger(service="notification", child=True)


@dataclass
class NotificationService:
    settings: UserSettingsStore
    links: GoogleLinks
    calendars: SubscribedCalendars
    caches: SyncCaches
    reader: CalendarReader
    deliveries: Deliveries
    bus: EventBus
    meter: Meter
    # How often a user with reminders on has their calendars re-read for new events.
    reminder_refresh: timedelta = timedelta(minutes=30)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # -- digests and reminders, from the tick ------------------------------------------

    def send_digest(self, user_id: str, at: datetime) -> str:
        """The digest for the user's local day at `at`, sent once; returns what happened."""
        record = self.settings.get(user_id)
        if record is None:
            return "no_settings"
        preferences = record.preferences
        zone = preferences.zone
        day = local_day(at, zone)
        key = f"digest#{user_id}#{day.isoformat()}"
        if self.deliveries.already_done(key):
            self.meter.count("NotificationsDuplicate")
            return "already_sent"

        reading = self._read(record, day_window(day, zone))
        if reading is None:
            return "not_readable"
        self._plan_next(user_id, preferences, at, reading)

        agenda = day_agenda(reading.events, day, zone)
        if not agenda.lines and not reading.unreadable and preferences.skip_empty_days:
            self.deliveries.skip(key)
            return "skipped"
        text = texts.day_text(agenda, "digest", preferences.language, reading.unreadable)
        retry_key = retry_key_for(user_id, "digest", day.isoformat())
        messages = texts.in_one_call(text, preferences.language)
        return self.deliveries.push_once(user_id, key, retry_key, messages)

    def send_reminders(self, user_id: str, at: datetime) -> int:
        """Send the reminders due at `at` (one push each) and plan the next wake."""
        now = floor_minute(at)
        record = self.settings.get(user_id)
        if record is None or not record.preferences.reminders_on:
            if record is not None:
                self.settings.set_reminder_wake(user_id, None)
            return 0
        preferences = record.preferences
        lead = timedelta(minutes=preferences.reminder_minutes)
        reading = self._read(record, Window(now - lead, now + lead + timedelta(days=1)))
        if reading is None:
            self.settings.set_reminder_wake(user_id, None)
            return 0

        planned = plan_reminders(reading.events, preferences)
        sent = 0
        for reminder in due_reminders(planned, preferences, now):
            key = f"reminder#{user_id}#{reminder.key()}"
            text = texts.reminder_text(reminder, now, preferences.language, preferences.zone)
            outcome = self.deliveries.push_once(
                user_id,
                key,
                retry_key_for(user_id, "reminder", reminder.key()),
                [OutgoingMessage(text)],
            )
            sent += outcome == "sent"
        self._schedule_wake(user_id, preferences, now, planned)
        return sent

    # -- requests and changes from other services --------------------------------------

    def handle_event(self, event: DomainEvent) -> None:
        """Act on one bus event this service consumes; others are acknowledged."""
        if isinstance(event, AgendaRequested):
            self.answer_agenda(event)
        elif isinstance(event, NotificationSettingsChanged):
            self.change_settings(event)
        elif isinstance(event, GoogleAccountLinked):
            self.on_linked(event)
        elif isinstance(event, CalendarSubscribed):
            self._wake_soon(event.user_id)
        elif isinstance(event, CalendarUnsubscribed):
            self.caches.delete(event.user_id, event.calendar_id)
        elif isinstance(event, GoogleAccessRevoked):
            self._stop_fetching(event.user_id)
        elif isinstance(event, LineUserUnfollowed):
            self.settings.delete(event.user_id)
            self.caches.delete_all(event.user_id)
        else:
            logger.info("event not for this service", detail_type=event.detail_type())

    def answer_agenda(self, event: AgendaRequested) -> str:
        record = self.settings.get(event.user_id) or UserRecord(
            event.user_id, NotificationPreferences()
        )
        language = event.language
        zone = record.preferences.zone
        today = local_day(event.occurred_at, zone)
        if event.period == "week":
            needed = days_window(today, 7, zone)
        elif event.period == "tomorrow":
            needed = day_window(today + timedelta(days=1), zone)
        else:
            needed = day_window(today, zone)

        text = self._agenda_text(record, event, needed, language)
        return self.deliveries.answer_once(
            event.user_id,
            event.reply_token,
            f"agenda#{event.event_id}",
            retry_key_for(event.user_id, "agenda", event.event_id),
            texts.in_one_call(text, language),
        )

    def change_settings(self, event: NotificationSettingsChanged) -> str:
        record = self.settings.get(event.user_id)
        current = record.preferences if record else NotificationPreferences()
        try:
            updated = changed_preferences(
                current,
                digest_time=event.digest_time,
                reminder_minutes=event.reminder_minutes,
                time_zone=event.time_zone,
                quiet_hours=event.quiet_hours,
                skip_empty_days=event.skip_empty_days,
                language=event.language,
            )
        except InvalidSetting as exc:
            # The command service checks settings before asking; one that still fails
            # here is the only case the user hears about from this service.
            text = texts.invalid_setting_text(exc.field, event.language or current.language)
        else:
            self.settings.save_preferences(
                event.user_id, updated, digest_minute(updated, event.occurred_at)
            )
            if updated.reminders_on:
                self._wake_soon(event.user_id)
            else:
                self.settings.set_reminder_wake(event.user_id, None)
            # The command service already confirmed the change in its reply.
            return "saved"
        return self.deliveries.push_once(
            event.user_id,
            f"settings#{event.event_id}",
            retry_key_for(event.user_id, "settings", event.event_id),
            [OutgoingMessage(text)],
        )

    def on_linked(self, event: GoogleAccountLinked) -> None:
        """A (re)linked user gets default settings, a fresh copy of their calendars and
        reminders from the next minute."""
        defaults = NotificationPreferences()
        self.settings.create_default(
            event.user_id, defaults, digest_minute(defaults, event.occurred_at)
        )
        self.settings.set_revoked_link(event.user_id, None)
        self.caches.delete_all(event.user_id)
        self._wake_soon(event.user_id)

    # -- shared steps ------------------------------------------------------------------

    def _agenda_text(
        self, record: UserRecord, event: AgendaRequested, needed: Window, language: Language
    ) -> str:
        state = self.links.state(event.user_id)
        if state is None:
            return texts.not_linked_text(language)
        if state.revoked or record.revoked_link == state.linked_at:
            return texts.relink_text(language)
        if not self.calendars.for_user(event.user_id):
            return texts.no_calendars_text(language)
        reading = self._read(record, needed)
        if reading is None:
            return texts.relink_text(language)

        zone = record.preferences.zone
        first = local_day(needed.start, zone)
        if event.period == "week":
            agendas = [
                day_agenda(reading.events, first + timedelta(days=n), zone) for n in range(7)
            ]
            return texts.week_text(agendas, language, reading.unreadable)
        agenda = day_agenda(reading.events, first, zone)
        return texts.day_text(agenda, event.period, language, reading.unreadable)

    def _read(self, record: UserRecord, needed: Window) -> Reading | None:
        """The user's events in `needed`, or None when Google cannot be read for them."""
        user_id = record.user_id
        state = self.links.state(user_id)
        if state is None or state.revoked or record.revoked_link == state.linked_at:
            return None
        calendars = self.calendars.for_user(user_id)
        if not calendars:
            return Reading([], [])
        source = self.links.open(user_id)
        if source is None:
            return None
        try:
            return self.reader.read(user_id, calendars, source, needed)
        except GrantRevoked:
            self._on_grant_refused(record, state.linked_at)
            return None

    def _on_grant_refused(self, record: UserRecord, linked_at: str) -> None:
        """Google refused the user's grant: report it and stop reading their calendars
        until they link again.

        The command service owns the link: on `GoogleAccessRevoked` it marks the link
        revoked and tells the user, once per link, how to link again (the loss may be
        seen by several services), so nothing is pushed from here.
        """
        logger.warning("Google grant refused")
        self.meter.count("GoogleGrantRevoked")
        self.bus.publish(GoogleAccessRevoked(user_id=record.user_id))
        self._stop_fetching(record.user_id, linked_at)

    def _stop_fetching(self, user_id: str, linked_at: str | None = None) -> None:
        if linked_at is None:
            state = self.links.state(user_id)
            linked_at = state.linked_at if state else ""
        if self.settings.get(user_id) is not None:
            self.settings.set_revoked_link(user_id, linked_at)
            self.settings.set_reminder_wake(user_id, None)

    def _plan_next(
        self, user_id: str, preferences: NotificationPreferences, at: datetime, reading: Reading
    ) -> None:
        self.settings.set_digest_minute(user_id, digest_minute(preferences, at))
        self._schedule_wake(
            user_id, preferences, floor_minute(at), plan_reminders(reading.events, preferences)
        )

    def _schedule_wake(
        self,
        user_id: str,
        preferences: NotificationPreferences,
        now: datetime,
        planned: list[PlannedReminder],
    ) -> None:
        wake = next_wake(planned, preferences, now, self.reminder_refresh)
        self.settings.set_reminder_wake(user_id, minute_key(wake) if wake else None)

    def _wake_soon(self, user_id: str) -> None:
        """Look at the user's calendars at the next minute (by the wall clock: a minute
        already past would never be looked up)."""
        record = self.settings.get(user_id)
        if record is not None and record.preferences.reminders_on:
            soon = floor_minute(self.clock()) + timedelta(minutes=1)
            self.settings.set_reminder_wake(user_id, minute_key(soon))
