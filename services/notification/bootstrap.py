"""The notification service's composition root: adapters built from settings, once per container."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from services.notification.adapters.calendar_sync import CalendarSyncTable
from services.notification.adapters.google_links import GoogleAccountLinks
from services.notification.adapters.notification_log import NotificationLogTable
from services.notification.adapters.user_settings import DueUsersIndex, UserSettingsTable
from services.notification.adapters.work_queue import SqsWorkQueue
from services.notification.delivery import Deliveries
from services.notification.fetching import CalendarReader
from services.notification.handling import NotificationService
from services.notification.ports import Meter
from services.notification.settings import NotificationSettings
from shared.events import NOTIFICATION_SOURCE
from shared.line_messaging import LineMessenger
from shared.publisher import EventPublisher
from shared.repositories.oauth_tokens import OAuthTokens
from shared.repositories.user_calendars import UserCalendarsReader


class NotificationComposition:
    """Builds each adapter on first use, so the tick never reads secrets it has no use for."""

    def __init__(self, settings: NotificationSettings, meter: Meter) -> None:
        self.settings = settings
        self.meter = meter

    @cached_property
    def service(self) -> NotificationService:
        settings = self.settings
        caches = CalendarSyncTable(settings.calendar_sync_table)
        messenger = LineMessenger(settings.line_api_base_url, settings.channel_access_token())
        tokens = OAuthTokens(
            settings.oauth_tokens_table, settings.token_key_id, actor="notification"
        )
        return NotificationService(
            settings=UserSettingsTable(settings.user_settings_table),
            links=GoogleAccountLinks(tokens, settings),
            calendars=UserCalendarsReader(settings.user_calendars_table),
            caches=caches,
            reader=CalendarReader(caches, self.meter, settings.sync_horizon_days),
            deliveries=Deliveries(
                messenger, NotificationLogTable(settings.notification_log_table), self.meter
            ),
            bus=EventPublisher(settings.event_bus_name, source=NOTIFICATION_SOURCE),
            meter=self.meter,
            reminder_refresh=timedelta(minutes=settings.reminder_refresh_minutes),
        )

    @cached_property
    def due_users(self) -> DueUsersIndex:
        return DueUsersIndex(self.settings.user_settings_table)

    @cached_property
    def work_queue(self) -> SqsWorkQueue:
        return SqsWorkQueue(self.settings.notification_queue_url)


_composition: NotificationComposition | None = None


def bootstrap(meter: Meter) -> NotificationComposition:
    """The container's composition, built on the first invocation and reused after."""
    global _composition
    if _composition is None:
        _composition = NotificationComposition(NotificationSettings(), meter)
    return _composition
