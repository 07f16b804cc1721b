"""What the bot says, in LINE's limits, independent of the SDK that sends it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# LINE's documented limits for the Messaging API.
MAX_MESSAGES_PER_CALL = 5
MAX_TEXT_UTF16_UNITS = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20
MAX_POSTBACK_DATA = 300

# A stable namespace so that the same logical send always gets the same retry key.
_RETRY_KEY_NAMESPACE = uuid.UUID("0b6f1c7e-6a8e-4e0f-9d4a-6c1a5e0b7c11")


@dataclass(frozen=True)
class QuickReplyChoice:
    """A button under a message: it either sends `text` as the user or posts `postback_data`."""

    label: str
    text: str | None = None
    postback_data: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """One text message, optionally with quick-reply buttons."""

    text: str
    quick_replies: tuple[QuickReplyChoice, ...] = field(default_factory=tuple)


def retry_key_for(*parts: str) -> str:
    """A UUID derived from what a push is about, so that a resend is recognised by LINE.

    Here rather than beside the LINE adapter so that domain code can name a send
    without importing the SDK.
    """
    return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, "\x1f".join(parts)))


def utf16_length(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def fit_label(label: str, limit: int = MAX_QUICK_REPLY_LABEL) -> str:
    """Shorten a button label to LINE's limit, marking the cut with an ellipsis."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def split_text(text: str, limit: int = MAX_TEXT_UTF16_UNITS) -> list[str]:
    """Split a text into parts of at most `limit` UTF-16 units.

    Cuts at line breaks where it can and never inside a character, so a surrogate pair
    is never broken.
    """
    if utf16_length(text) <= limit:
        return [text]

    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if utf16_length(current + line) <= limit:
            current += line
            continue
        if current:
            parts.append(current)
            current = ""
        # A single line longer than the limit is cut character by character.
        for char in line:
            if utf16_length(current + char) > limit:
                parts.append(current)
                current = ""
            current += char
    if current:
        parts.append(current)
    return [p.rstrip("\n") or p for p in parts]


def fit_messages(messages: Iterable[OutgoingMessage]) -> list[OutgoingMessage]:
    """Split over-long texts; quick replies stay on the last part of their message."""
    fitted: list[OutgoingMessage] = []
    for message in messages:
        parts = split_text(message.text)
        fitted.extend(OutgoingMessage(p) for p in parts[:-1])
        fitted.append(OutgoingMessage(parts[-1], message.quick_replies))
    return fitted


def in_calls(messages: Sequence[OutgoingMessage]) -> list[list[OutgoingMessage]]:
    """Group messages into API calls of at most five."""
    return [
        list(messages[i : i + MAX_MESSAGES_PER_CALL])
        for i in range(0, len(messages), MAX_MESSAGES_PER_CALL)
    ]
