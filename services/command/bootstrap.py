"""The command service's composition root: adapters built from settings, once per container."""

from __future__ import annotations

from functools import cached_property, lru_cache

from services.command.line_webhook import LineWebhookReader
from services.command.settings import CommandSettings
from shared.events import COMMAND_SOURCE
from shared.line_messaging import LineMessenger
from shared.publisher import EventPublisher
from shared.repositories.user_calendars import UserCalendarsReader


class CommandService:
    """Builds each adapter on first use, so the webhook never reads secrets it has no use for."""

    def __init__(self, settings: CommandSettings) -> None:
        self.settings = settings

    @cached_property
    def webhook_reader(self) -> LineWebhookReader:
        return LineWebhookReader(self.settings.channel_secret())

    @cached_property
    def publisher(self) -> EventPublisher:
        return EventPublisher(self.settings.event_bus_name, source=COMMAND_SOURCE)

    @cached_property
    def messenger(self) -> LineMessenger:
        return LineMessenger(self.settings.line_api_base_url, self.settings.channel_access_token())

    @cached_property
    def calendars(self) -> UserCalendarsReader:
        return UserCalendarsReader(self.settings.user_calendars_table)


@lru_cache(maxsize=1)
def bootstrap() -> CommandService:
    return CommandService(CommandSettings())
