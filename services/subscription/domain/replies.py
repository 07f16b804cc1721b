"""What the subscription service tells users, in Japanese and English.

These are pushes that come after the conversation, whose language the events do not
carry, so every message says it in both.
"""

from __future__ import annotations

from typing import Literal

RejectionReason = Literal["unknown_calendar", "no_access", "limit_reached", "not_linked"]


def subscribed(name: str, is_primary: bool) -> str:
    if is_primary:
        return (
            f"メインのカレンダー「{name}」を通知に登録しました。\n"
            f"Your primary calendar “{name}” now notifies you."
        )
    return f"「{name}」を通知するカレンダーに追加しました。\n“{name}” now notifies you."


def unsubscribed(name: str) -> str:
    return f"「{name}」の通知をやめました。\n“{name}” no longer notifies you."


REJECTED: dict[RejectionReason, str] = {
    "unknown_calendar": (
        "そのカレンダーは Google カレンダーに見つかりませんでした。\n"
        "That calendar is not in your Google Calendar list."
    ),
    "no_access": (
        "そのカレンダーの予定を読む権限がないため追加できませんでした。\n"
        "I cannot read the events of that calendar, so it was not added."
    ),
    "limit_reached": (
        "通知できるカレンダーは20個までです。どれかを削除してから追加してください。\n"
        "You can be notified from at most 20 calendars; remove one first."
    ),
    "not_linked": (
        "先に「連携」と送って Google カレンダーと連携してください。\n"
        'Send "link" first to connect your Google Calendar.'
    ),
}
