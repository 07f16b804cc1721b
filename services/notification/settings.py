"""The notification service's settings, read once at cold start."""

from __future__ import annotations

from shared.config import GoogleSettings, LineSettings, ServiceSettings


class NotificationSettings(ServiceSettings, LineSettings, GoogleSettings):
    notification_queue_url: str = ""
    # Users with reminders on have their calendars re-read this often for new events.
    reminder_refresh_minutes: int = 30
    # A full sync reads this many days ahead, so week agendas and reminders need no more.
    sync_horizon_days: int = 35
    # Users handled at once by one worker invocation (calls to Google and LINE in flight).
    worker_concurrency: int = 8
