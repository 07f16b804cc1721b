"""The subscription service's composition root: adapters built from settings, once per container."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from services.subscription.calendars_table import UserCalendarsTable
from services.subscription.domain.subscriptions import Subscriptions
from services.subscription.google_calendars import GoogleCalendarDirectory
from services.subscription.settings import SubscriptionSettings
from shared.events import SUBSCRIPTION_SOURCE, DomainEvent
from shared.line_messaging import LineMessenger
from shared.publisher import EventPublisher
from shared.repositories.oauth_tokens import OAuthTokens

# As long as the bus archive keeps events, so a replay of anything already handled is
# recognised; events that failed leave no record and are handled afresh.
IDEMPOTENCY_WINDOW = timedelta(days=30)

HandleOnce = Callable[..., dict[str, Any]]


class SubscriptionService:
    def __init__(self, settings: SubscriptionSettings) -> None:
        self.settings = settings

    @cached_property
    def publisher(self) -> EventPublisher:
        return EventPublisher(self.settings.event_bus_name, source=SUBSCRIPTION_SOURCE)

    @cached_property
    def messenger(self) -> LineMessenger:
        return LineMessenger(self.settings.line_api_base_url, self.settings.channel_access_token())

    @cached_property
    def tokens(self) -> OAuthTokens:
        return OAuthTokens(
            self.settings.oauth_tokens_table, self.settings.token_key_id, actor="subscription"
        )

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(
            store=UserCalendarsTable(self.settings.user_calendars_table),
            google=GoogleCalendarDirectory(self.settings, self.tokens),
            events=self.publisher,
            notices=self.messenger,
            now=lambda: datetime.now(UTC),
        )

    @cached_property
    def idempotency(self) -> IdempotencyConfig:
        return IdempotencyConfig(
            event_key_jmespath="event_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=int(IDEMPOTENCY_WINDOW.total_seconds()),
            # Marks the answer Powertools gives for an event already handled, for the logs.
            response_hook=lambda response, record: {**response, "outcome": "duplicate"},
        )

    @cached_property
    def handle_once(self) -> HandleOnce:
        """`subscriptions.handle`, run at most once per event id (duplicates, replays)."""
        persistence = DynamoDBPersistenceLayer(
            table_name=self.settings.subscription_idempotency_table
        )

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="event",
            persistence_store=persistence,
            config=self.idempotency,
            key_prefix="subscription",
        )
        def handle(event: DomainEvent, replayed: bool) -> dict[str, Any]:
            result = self.subscriptions.handle(event, replayed=replayed)
            return {"outcome": result.outcome.value, "reason": result.reason}

        typed: HandleOnce = handle
        return typed


@lru_cache(maxsize=1)
def bootstrap() -> SubscriptionService:
    return SubscriptionService(SubscriptionSettings())
