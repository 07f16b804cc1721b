"""The command parser: what users type, in either language, maps to one command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.command.domain.commands import Intent, parse_command


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("ヘルプ", Intent.HELP, "ja"),
        ("help", Intent.HELP, "en"),
        ("  HELP ", Intent.HELP, "en"),
        ("ｈｅｌｐ", Intent.HELP, "en"),  # full-width letters
        ("カレンダー一覧", Intent.LIST_CALENDARS, "ja"),
        ("カレンダー", Intent.LIST_CALENDARS, "ja"),
        ("Calendars", Intent.LIST_CALENDARS, "en"),
        ("list", Intent.LIST_CALENDARS, "en"),
        ("連携", Intent.LINK, "ja"),
        ("今日の予定", Intent.TODAY, "ja"),
        ("week", Intent.WEEK, "en"),
        ("通知テスト", Intent.PREVIEW, "ja"),
        ("設定", Intent.SETTINGS, "ja"),
    ],
)
def test_keywords_map_to_their_intent(text: str, intent: Intent, language: str) -> None:
    # GIVEN a keyword as a user might type it / WHEN parsed
    command = parse_command(text)

    # THEN it is that intent, in the keyword's language, without argument
    assert (command.intent, command.language, command.argument) == (intent, language, None)


def test_argument_keeps_the_users_spelling_after_an_ideographic_space() -> None:
    command = parse_command("カレンダー追加\u3000Family Trips")

    assert command.intent is Intent.ADD_CALENDAR
    assert command.argument == "Family Trips"


def test_full_width_digits_become_ascii_in_arguments() -> None:
    command = parse_command("通知時刻　０７：３０")

    assert command.intent is Intent.SET_DIGEST_TIME
    assert command.argument == "07:30"


def test_unknown_text_is_unknown_and_guesses_the_language() -> None:
    assert parse_command("こんにちは").intent is Intent.UNKNOWN
    assert parse_command("こんにちは").language == "ja"
    assert parse_command("hello there").language == "en"


def test_a_keyword_that_takes_no_argument_with_extra_words_is_unknown() -> None:
    assert parse_command("help me please").intent is Intent.UNKNOWN


@given(st.text())
def test_any_text_maps_to_exactly_one_intent_without_raising(text: str) -> None:
    command = parse_command(text)

    assert isinstance(command.intent, Intent)
    assert command.language in ("ja", "en")
