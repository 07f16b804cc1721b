"""What the command service says, in Japanese and English."""

from __future__ import annotations

from shared.events import Language
from shared.messages import OutgoingMessage, QuickReplyChoice

HELP = {
    "ja": (
        "linecal の使い方\n"
        "・連携 … Google カレンダーと連携\n"
        "・カレンダー一覧 … 通知するカレンダー\n"
        "・カレンダー追加 [名前か番号] / カレンダー削除 [名前か番号]\n"
        "・今日の予定 / 明日の予定 / 今週の予定\n"
        "・通知テスト … 毎朝の通知のプレビュー\n"
        "・設定 / 通知時刻 07:30 / リマインド 10 / タイムゾーン Asia/Tokyo / "
        "おやすみ 23:00-07:00\n"
        "English works too: send help."
    ),
    "en": (
        "How to use linecal\n"
        "- link: connect your Google Calendar\n"
        "- calendars: the calendars that notify you\n"
        "- add [name or number] / remove [name or number]\n"
        "- today / tomorrow / week\n"
        "- preview: a preview of your daily digest\n"
        "- settings / digest 07:30 / remind 10 / timezone Asia/Tokyo / quiet 23:00-07:00\n"
        "日本語でも使えます: ヘルプ と送ってください。"
    ),
}

HINT = {
    "ja": "ごめんなさい、わかりませんでした。「ヘルプ」と送ると使い方を表示します。",
    "en": 'Sorry, I didn\'t get that. Send "help" to see what I can do.',
}

NO_CALENDARS = {
    "ja": (
        "通知するカレンダーはまだありません。\n"
        "「連携」と送って Google カレンダーと連携すると、メインのカレンダーが登録されます。"
    ),
    "en": (
        "You have no calendars yet.\n"
        'Send "link" to connect Google Calendar; your primary calendar is added at once.'
    ),
}

CALENDARS_HEADER = {"ja": "通知するカレンダー:", "en": "Calendars that notify you:"}
PRIMARY_MARK = {"ja": "（メイン）", "en": " (primary)"}

WELCOME = {
    "ja": (
        "友だち追加ありがとうございます！linecal は Google カレンダーの予定を LINE で"
        "お知らせします。\nまず「連携」と送って Google カレンダーと連携してください。"
    ),
    "en": (
        "Thanks for adding linecal! I tell you on LINE what is coming up on your Google "
        'Calendar.\nSend "link" first to connect your Google Calendar.'
    ),
}

ONE_TO_ONE_ONLY = (
    "linecal は1対1のトークでお使いください。/ linecal works in one-to-one chats only: "
    "please message me directly."
)

NOT_YET = {
    "ja": "この機能は準備中です。「ヘルプ」で今使える機能を確認できます。",
    "en": 'This is not available yet. Send "help" to see what works now.',
}


def help_message(language: Language) -> OutgoingMessage:
    other = "help" if language == "ja" else "ヘルプ"
    return OutgoingMessage(
        HELP[language],
        quick_replies=(
            QuickReplyChoice(
                "カレンダー一覧" if language == "ja" else "calendars",
                text="カレンダー一覧" if language == "ja" else "calendars",
            ),
            QuickReplyChoice(other, text=other),
        ),
    )
