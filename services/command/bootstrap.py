"""The command service's composition root: adapters built from settings, once per container."""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from services.command.conversation_state import (
    GroupNoticeLedger,
    MinuteCommandCounter,
    StoredChoiceSessions,
)
from services.command.domain.conversation import ConversationPorts
from services.command.google_account import LinkedGoogleCalendars, RevocableGoogleGrants
from services.command.line_webhook import LineWebhookReader
from services.command.settings import CommandSettings
from services.command.user_settings import UserSettingsReader
from services.command.webhook_events import WebhookEventClaims
from shared.events import COMMAND_SOURCE, GoogleAccessRevoked
from shared.line_messaging import LineMessenger
from shared.publisher import EventPublisher
from shared.repositories.oauth_tokens import OAuthTokens
from shared.repositories.user_calendars import UserCalendarsReader

if TYPE_CHECKING:
    # Imported where used: google-auth-oauthlib is slow to import and the webhook,
    # which shares this root, never links anyone.
    from services.command.linking import (
        GoogleAccountLinking,
        GoogleOAuthFlow,
        LinkPageNotices,
        OAuthStateTable,
    )


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

    @cached_property
    def link_states(self) -> OAuthStateTable:
        from services.command.linking import OAuthStateTable

        return OAuthStateTable(self.settings.sessions_table)

    @cached_property
    def google_consent(self) -> GoogleOAuthFlow:
        from services.command.linking import GoogleOAuthFlow

        return GoogleOAuthFlow(self.settings, self.settings.public_base_url)

    @cached_property
    def linking(self) -> GoogleAccountLinking:
        from services.command.linking import GoogleAccountLinking

        return GoogleAccountLinking(self.google_consent, self.link_states)

    @cached_property
    def link_page_notices(self) -> LinkPageNotices:
        from services.command.linking import LinkPageNotices

        return LinkPageNotices(self.messenger)

    @cached_property
    def tokens(self) -> OAuthTokens:
        return OAuthTokens(
            self.settings.oauth_tokens_table, self.settings.token_key_id, actor="command"
        )

    @cached_property
    def sessions(self) -> StoredChoiceSessions:
        return StoredChoiceSessions(self.settings.sessions_table)

    @cached_property
    def webhook_events(self) -> WebhookEventClaims:
        return WebhookEventClaims(self.settings.webhook_events_table)

    @cached_property
    def group_notices(self) -> GroupNoticeLedger:
        return GroupNoticeLedger(self.settings.sessions_table)

    @cached_property
    def google_grants(self) -> RevocableGoogleGrants:
        return RevocableGoogleGrants(self.tokens, self.settings.google_revoke_uri)

    @cached_property
    def conversation(self) -> ConversationPorts:
        return ConversationPorts(
            subscribed=self.calendars,
            google=LinkedGoogleCalendars(
                self.tokens, self.settings, on_revoked=self._publish_access_revoked
            ),
            sessions=self.sessions,
            settings=UserSettingsReader(self.settings.user_settings_table),
            usage=MinuteCommandCounter(self.settings.sessions_table),
            linking=self.linking,
        )

    def _publish_access_revoked(self, user_id: str) -> None:
        self.publisher.publish(GoogleAccessRevoked(user_id=user_id))


@lru_cache(maxsize=1)
def bootstrap() -> CommandService:
    return CommandService(CommandSettings())
