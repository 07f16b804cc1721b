"""Access to the captured, real-shaped payloads in tests/fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def line_body(name: str) -> bytes:
    """A LINE webhook body, byte for byte as LINE sent it."""
    return (FIXTURES / "line" / f"{name}.json").read_bytes()


def line_signature(name: str) -> str:
    return (FIXTURES / "line" / f"{name}.signature").read_text().strip()


def line_channel_secret() -> str:
    return (FIXTURES / "line" / "CHANNEL_SECRET").read_text().strip()


def google_json(name: str) -> Any:
    return json.loads((FIXTURES / "google" / f"{name}.json").read_text())


LINE_BODIES = [
    "text_calendar_list_ja",
    "text_help_en",
    "text_add_calendar_ja",
    "text_redelivered",
    "postback_add_calendar",
    "follow",
    "unfollow",
    "two_events_one_body",
    "verify_empty_events",
    "group_message",
]
