"""Settings shared by the services, read from the environment once at cold start.

Secrets come either directly (local stack, tests) or, on AWS, as the name of an SSM
SecureString parameter (`*_PARAM`) that is read through Powertools Parameters.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingSecret(RuntimeError):
    """Neither a secret nor the name of the parameter holding it was configured."""


def _resolve_secret(value: SecretStr | None, parameter_name: str | None, what: str) -> str:
    if value is not None:
        return value.get_secret_value()
    if parameter_name:
        # Imported here so that code and tests that pass secrets directly need no SSM.
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(parameter_name, decrypt=True, max_age=300))
    raise MissingSecret(f"{what} is not configured")


class ServiceSettings(BaseSettings):
    """What every service needs: where AWS is, the bus and the tables."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    aws_endpoint_url: str | None = None
    stage: str = "local"
    event_bus_name: str = "linecal-local"
    oauth_tokens_table: str = "linecal-oauth-tokens"
    user_calendars_table: str = "linecal-user-calendars"
    sessions_table: str = "linecal-sessions"
    webhook_events_table: str = "linecal-webhook-events"
    user_settings_table: str = "linecal-user-settings"
    notification_log_table: str = "linecal-notification-log"
    calendar_sync_table: str = "linecal-calendar-sync"
    token_key_id: str = "alias/linecal-local-tokens"
    public_base_url: str = "http://127.0.0.1:8080"


class LineSettings(BaseSettings):
    """How to reach the LINE Messaging API and check its webhooks."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    line_api_base_url: str = "https://api.line.me"
    line_channel_secret: SecretStr | None = None
    line_channel_secret_param: str | None = None
    line_channel_access_token: SecretStr | None = None
    line_channel_access_token_param: str | None = None

    def channel_secret(self) -> str:
        return _resolve_secret(
            self.line_channel_secret, self.line_channel_secret_param, "LINE channel secret"
        )

    def channel_access_token(self) -> str:
        return _resolve_secret(
            self.line_channel_access_token,
            self.line_channel_access_token_param,
            "LINE channel access token",
        )


class GoogleSettings(BaseSettings):
    """The Google OAuth client and where the Google APIs are."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    google_client_id: str = ""
    google_client_secret: SecretStr | None = None
    google_client_secret_param: str | None = None
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    google_revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    # None means Google's own endpoint; the local stack points it at its sandbox.
    google_api_base_url: str | None = None

    def client_secret(self) -> str:
        return _resolve_secret(
            self.google_client_secret, self.google_client_secret_param, "Google client secret"
        )
