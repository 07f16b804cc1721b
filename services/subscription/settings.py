"""The subscription service's settings, read once at cold start."""

from __future__ import annotations

from shared.config import GoogleSettings, LineSettings, ServiceSettings


class SubscriptionSettings(ServiceSettings, LineSettings, GoogleSettings):
    """Everything the subscription worker needs."""

    # Powertools idempotency records, keyed on each event's id.
    subscription_idempotency_table: str = "linecal-subscription-idempotency"
