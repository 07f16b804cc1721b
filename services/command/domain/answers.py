"""The result of every decision: what to say back, and what to tell other services."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.events import DomainEvent, Language
from shared.messages import OutgoingMessage


@dataclass(frozen=True)
class Answer:
    """What to say back, and which events to publish for other services."""

    messages: list[OutgoingMessage]
    events: list[DomainEvent] = field(default_factory=list)


def say(table: dict[str, str], language: Language, **values: object) -> Answer:
    """One text from a table of translations, filled in."""
    return Answer([OutgoingMessage(table[language].format(**values))])


def say_both(table: dict[str, str]) -> Answer:
    """For when the user's language is unknown: Japanese, then English, in one message."""
    return Answer([OutgoingMessage(f"{table['ja']}\n{table['en']}")])
