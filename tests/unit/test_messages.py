"""LINE's limits: five messages a call, 5,000 UTF-16 units a text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.messages import (
    OutgoingMessage,
    QuickReplyChoice,
    fit_label,
    fit_messages,
    in_calls,
    split_text,
    utf16_length,
)


def test_emoji_outside_the_bmp_counts_two_units() -> None:
    assert utf16_length("a😀") == 3


def test_long_text_is_split_at_line_breaks_within_the_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(200))

    parts = split_text(text)

    assert len(parts) > 1
    assert all(utf16_length(p) <= 5000 for p in parts)
    assert "".join(p + "\n" for p in parts).split() == text.split()


@given(st.text(min_size=1, max_size=300))
def test_splitting_never_breaks_a_character_and_loses_nothing(text: str) -> None:
    parts = split_text(text, limit=7)

    assert all(utf16_length(p) <= 7 for p in parts)
    joined = "".join(parts)
    # Only the line breaks at the cut points may be dropped.
    assert joined.replace("\n", "") == text.replace("\n", "") or joined == text


def test_quick_replies_stay_on_the_last_part() -> None:
    choice = QuickReplyChoice("next", text="next")
    message = OutgoingMessage("y" * 12000, (choice,))

    fitted = fit_messages([message])

    assert [bool(m.quick_replies) for m in fitted] == [False, False, True]


def test_messages_are_grouped_five_to_a_call() -> None:
    calls = in_calls([OutgoingMessage(str(i)) for i in range(12)])

    assert [len(c) for c in calls] == [5, 5, 2]


def test_labels_are_cut_to_twenty_characters() -> None:
    assert len(fit_label("とても長いカレンダーの名前がここにあります")) == 20
