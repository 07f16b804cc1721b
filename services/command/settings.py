"""The command service's settings, read once at cold start."""

from __future__ import annotations

from shared.config import GoogleSettings, LineSettings, ServiceSettings


class CommandSettings(ServiceSettings, LineSettings, GoogleSettings):
    """Everything the webhook, the OAuth callback and the command worker need."""
