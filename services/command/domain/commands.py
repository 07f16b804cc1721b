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
    "使い方": (Intent.HELP, "ja"),
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

# Japanese keywords may run straight into their argument ("通知時刻7:30"); the longest
# keyword wins, so "カレンダー追加仕事" is an add and not the bare "カレンダー".
_JAPANESE_WITH_ARGUMENT = sorted(
    (
        k
        for k, (intent, language) in _KEYWORDS.items()
        if language == "ja" and intent in _TAKES_ARGUMENT
    ),
    key=len,
    reverse=True,
)

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
    # The argument keeps the user's own spelling (calendar names are case-sensitive).
    spelled = " ".join(unicodedata.normalize("NFKC", text).split())

    exact = _KEYWORDS.get(normalised)
    if exact is not None:
        return ChatCommand(exact[0], None, exact[1])
    # Japanese is written without spaces, so "今日 の予定" is still the keyword; English
    # words are not glued together ("li st" is not "list").
    squeezed = _KEYWORDS.get(normalised.replace(" ", ""))
    if squeezed is not None and squeezed[1] == "ja":
        return ChatCommand(squeezed[0], None, "ja")

    keyword, _, rest = normalised.partition(" ")
    with_argument = _KEYWORDS.get(keyword)
    if with_argument is not None and with_argument[0] in _TAKES_ARGUMENT and rest:
        return ChatCommand(with_argument[0], spelled.partition(" ")[2] or rest, with_argument[1])

    for japanese in _JAPANESE_WITH_ARGUMENT:
        # Japanese keywords have no case, so the spelled text starts with them as typed.
        if spelled.startswith(japanese) and spelled[len(japanese) :].strip():
            return ChatCommand(_KEYWORDS[japanese][0], spelled[len(japanese) :].strip(), "ja")

    return ChatCommand(Intent.UNKNOWN, None, guess_language(normalised))
