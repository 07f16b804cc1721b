"""Turning what a user typed into one command the bot understands."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from shared.events import Language


class Intent(StrEnum):
    HELP = "help"
    LINK = "link"
    LIST_CALENDARS = "list_calendars"
    ADD_CALENDAR = "add_calendar"
    REMOVE_CALENDAR = "remove_calendar"
    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEK = "week"
    PREVIEW = "preview"
    SETTINGS = "settings"
    SET_DIGEST_TIME = "set_digest_time"
    SET_REMINDER = "set_reminder"
    SET_TIME_ZONE = "set_time_zone"
    SET_QUIET_HOURS = "set_quiet_hours"
    SET_SKIP_EMPTY = "set_skip_empty"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ChatCommand:
    intent: Intent
    argument: str | None
    language: Language


# Words are compared after normalisation (NFKC, case-folded, spaces collapsed), so
# full-width letters and the ideographic space need no entries of their own.
_KEYWORDS: dict[str, tuple[Intent, Language]] = {
    "ヘルプ": (Intent.HELP, "ja"),
    "help": (Intent.HELP, "en"),
    "連携": (Intent.LINK, "ja"),
    "link": (Intent.LINK, "en"),
    "カレンダー一覧": (Intent.LIST_CALENDARS, "ja"),
    "カレンダー": (Intent.LIST_CALENDARS, "ja"),
    "calendars": (Intent.LIST_CALENDARS, "en"),
    "list": (Intent.LIST_CALENDARS, "en"),
    "カレンダー追加": (Intent.ADD_CALENDAR, "ja"),
    "add": (Intent.ADD_CALENDAR, "en"),
    "カレンダー削除": (Intent.REMOVE_CALENDAR, "ja"),
    "remove": (Intent.REMOVE_CALENDAR, "en"),
    "今日の予定": (Intent.TODAY, "ja"),
    "today": (Intent.TODAY, "en"),
    "明日の予定": (Intent.TOMORROW, "ja"),
    "tomorrow": (Intent.TOMORROW, "en"),
    "今週の予定": (Intent.WEEK, "ja"),
    "week": (Intent.WEEK, "en"),
    "通知テスト": (Intent.PREVIEW, "ja"),
    "preview": (Intent.PREVIEW, "en"),
    "設定": (Intent.SETTINGS, "ja"),
    "settings": (Intent.SETTINGS, "en"),
    "通知時刻": (Intent.SET_DIGEST_TIME, "ja"),
    "digest": (Intent.SET_DIGEST_TIME, "en"),
    "リマインド": (Intent.SET_REMINDER, "ja"),
    "remind": (Intent.SET_REMINDER, "en"),
    "タイムゾーン": (Intent.SET_TIME_ZONE, "ja"),
    "timezone": (Intent.SET_TIME_ZONE, "en"),
    "おやすみ": (Intent.SET_QUIET_HOURS, "ja"),
    "quiet": (Intent.SET_QUIET_HOURS, "en"),
    "空の日スキップ": (Intent.SET_SKIP_EMPTY, "ja"),
    "skip": (Intent.SET_SKIP_EMPTY, "en"),
}

# Intents whose keyword may be followed by an argument ("add 仕事", "通知時刻 07:30").
_TAKES_ARGUMENT = {
    Intent.ADD_CALENDAR,
    Intent.REMOVE_CALENDAR,
    Intent.SET_DIGEST_TIME,
    Intent.SET_REMINDER,
    Intent.SET_TIME_ZONE,
    Intent.SET_QUIET_HOURS,
    Intent.SET_SKIP_EMPTY,
}

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def normalise(text: str) -> str:
    """Fold full-width forms, case and runs of white space, as a user would expect."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def guess_language(text: str) -> Language:
    return "ja" if _JAPANESE.search(text) else "en"


def parse_command(text: str) -> ChatCommand:
    """Map any text to exactly one command; never raises."""
    normalised = normalise(text)
    fallback_language = guess_language(normalised)

    exact = _KEYWORDS.get(normalised)
    if exact is not None:
        return ChatCommand(exact[0], None, exact[1])

    keyword, _, rest = normalised.partition(" ")
    with_argument = _KEYWORDS.get(keyword)
    if with_argument is not None and with_argument[0] in _TAKES_ARGUMENT and rest:
        # The argument keeps the user's own spelling (calendar names are case-sensitive).
        original_rest = " ".join(unicodedata.normalize("NFKC", text).split()).partition(" ")[2]
        return ChatCommand(with_argument[0], original_rest or rest, with_argument[1])

    return ChatCommand(Intent.UNKNOWN, None, fallback_language)
