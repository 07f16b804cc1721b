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


@pytest.mark.parametrize(
    ("text", "intent", "argument"),
    [
        ("カレンダー追加仕事", Intent.ADD_CALENDAR, "仕事"),
        ("カレンダー削除　２", Intent.REMOVE_CALENDAR, "2"),
        ("ADD  Family Trips ", Intent.ADD_CALENDAR, "Family Trips"),
        ("通知時刻7:30", Intent.SET_DIGEST_TIME, "7:30"),
        ("リマインド　１０", Intent.SET_REMINDER, "10"),
        ("タイムゾーン Asia/Tokyo", Intent.SET_TIME_ZONE, "Asia/Tokyo"),
        ("quiet 23:00-07:00", Intent.SET_QUIET_HOURS, "23:00-07:00"),
        ("おやすみ 23:00〜07:00", Intent.SET_QUIET_HOURS, "23:00〜07:00"),
        ("Skip ON", Intent.SET_SKIP_EMPTY, "ON"),
        ("今日 の予定", Intent.TODAY, None),
        ("カレンダー　一覧", Intent.LIST_CALENDARS, None),
        ("明日の予定", Intent.TOMORROW, None),
        ("Preview", Intent.PREVIEW, None),
        ("ｔｏｄａｙ", Intent.TODAY, None),
        ("remove", Intent.REMOVE_CALENDAR, None),
        ("digest", Intent.SET_DIGEST_TIME, None),
    ],
)
def test_forgiving_typing_of_every_command(text: str, intent: Intent, argument: str | None) -> None:
    command = parse_command(text)

    assert (command.intent, command.argument) == (intent, argument)


def test_english_words_are_not_glued_together_nor_japanese_prefixes_guessed() -> None:
    assert parse_command("li st").intent is Intent.UNKNOWN
    assert parse_command("addwork").intent is Intent.UNKNOWN
    assert parse_command("カレンダーX").intent is Intent.UNKNOWN


KEYWORDS = [
    ("ヘルプ", Intent.HELP),
    ("help", Intent.HELP),
    ("連携", Intent.LINK),
    ("link", Intent.LINK),
    ("カレンダー一覧", Intent.LIST_CALENDARS),
    ("calendars", Intent.LIST_CALENDARS),
    ("カレンダー追加", Intent.ADD_CALENDAR),
    ("add", Intent.ADD_CALENDAR),
    ("カレンダー削除", Intent.REMOVE_CALENDAR),
    ("remove", Intent.REMOVE_CALENDAR),
    ("今日の予定", Intent.TODAY),
    ("week", Intent.WEEK),
    ("通知テスト", Intent.PREVIEW),
    ("settings", Intent.SETTINGS),
]
SPACES = st.text(alphabet=" \t\u3000\n", max_size=3)


@given(st.sampled_from(KEYWORDS), SPACES, SPACES, st.booleans(), st.booleans())
def test_keywords_survive_spaces_case_and_full_width(
    keyword: tuple[str, Intent], before: str, after: str, upper: bool, full_width: bool
) -> None:
    # GIVEN a keyword typed with stray spaces, in capitals or full-width letters
    word, intent = keyword
    typed = word.upper() if upper else word
    if full_width:
        typed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)

    # THEN it is still that keyword
    assert parse_command(before + typed + after).intent is intent


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_unicode_including_controls_maps_to_one_intent_and_a_tidy_argument(
    text: str,
) -> None:
    command = parse_command(text)

    assert isinstance(command.intent, Intent)
    # Only intents that take one carry an argument, never empty nor padded with spaces.
    if command.argument is not None:
        assert command.argument == command.argument.strip() != ""
        assert command.intent not in (Intent.HELP, Intent.UNKNOWN, Intent.TODAY)
