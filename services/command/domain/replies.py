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
        "おやすみ 23:00-07:00 / 空の日スキップ オン\n"
        "English works too: send help."
    ),
    "en": (
        "How to use linecal\n"
        "- link: connect your Google Calendar\n"
        "- calendars: the calendars that notify you\n"
        "- add [name or number] / remove [name or number]\n"
        "- today / tomorrow / week\n"
        "- preview: a preview of your daily digest\n"
        "- settings / digest 07:30 / remind 10 / timezone Asia/Tokyo / quiet 23:00-07:00 / "
        "skip on\n"
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

LINK_FIRST = {
    "ja": "先に Google カレンダーとの連携が必要です。「連携」と送ってください。",
    "en": 'Please connect your Google Calendar first: send "link".',
}

START_AGAIN = {
    "ja": "このボタンは有効期限が切れました。もう一度最初からお願いします。",
    "en": "That button has expired. Please start again.",
}

RATE_LIMITED = {
    "ja": "少し待ってからもう一度送ってください（1分あたり{limit}回まで）。",
    "en": "That was a lot at once! Please wait a minute and try again (up to {limit} a minute).",
}

GOOGLE_UNAVAILABLE = {
    "ja": "Google カレンダーに接続できませんでした。少し待ってからもう一度お試しください。",
    "en": "I could not reach Google Calendar just now. Please try again in a moment.",
}

# --- adding and removing calendars --------------------------------------------------

ADD_MENU_HEADER = {
    "ja": "追加できるカレンダー:",
    "en": "Calendars you can add:",
}
ADD_MENU_FOOTER = {
    "ja": "ボタンで選ぶか「カレンダー追加 番号」と送ってください。",
    "en": 'Tap one, or send "add <number>".',
}
REMOVE_MENU_HEADER = {
    "ja": "通知をやめるカレンダーを選んでください:",
    "en": "Which calendar should stop notifying you?",
}
REMOVE_MENU_FOOTER = {
    "ja": "ボタンで選ぶか「カレンダー削除 番号」と送ってください。",
    "en": 'Tap one, or send "remove <number>".',
}
MORE_PAGE = {
    "ja": "{first}〜{last}番目（全{total}件）:",
    "en": "{first} to {last} of {total}:",
}
NEXT_BUTTON = {"ja": "次へ ▶", "en": "Next ▶"}
NOTHING_TO_ADD = {
    "ja": "Google カレンダーのカレンダーはすべて追加済みです。",
    "en": "Every calendar of your Google account already notifies you.",
}
NOT_FOUND = {
    "ja": "「{wanted}」というカレンダーは見つかりませんでした。",
    "en": 'I found no calendar called "{wanted}".',
}
SEVERAL_MATCH = {
    "ja": "「{wanted}」に当てはまるカレンダーが複数あります。",
    "en": '"{wanted}" matches more than one calendar.',
}
ALREADY_ADDED = {
    "ja": "「{name}」はもう追加されています。",
    "en": '"{name}" already notifies you.',
}
ADDING = {
    "ja": "「{name}」を追加します。登録できたらお知らせします。",
    "en": 'Adding "{name}". I\'ll let you know when it is done.',
}
CONFIRM_REMOVE = {
    "ja": "「{name}」の通知をやめますか？",
    "en": 'Stop notifications from "{name}"?',
}
YES_REMOVE = {"ja": "はい、やめる", "en": "Yes, stop"}
KEEP = {"ja": "やめない", "en": "Keep it"}
REMOVING = {
    "ja": "「{name}」の通知をやめます。",
    "en": 'Stopping notifications from "{name}".',
}
KEPT = {"ja": "そのままにしました。", "en": "OK, nothing changed."}

# --- agenda and settings ---------------------------------------------------------------

SETTINGS = {
    "ja": (
        "現在の設定\n"
        "・毎朝の通知: {digest_time}\n"
        "・リマインド: 予定の{reminder}\n"
        "・タイムゾーン: {time_zone}\n"
        "・おやすみ時間: {quiet}\n"
        "・予定のない日の通知: {skip}\n"
        "変更例: 通知時刻 07:30 / リマインド 10 / タイムゾーン Asia/Tokyo / "
        "おやすみ 23:00-07:00 / 空の日スキップ オン"
    ),
    "en": (
        "Your settings\n"
        "- daily digest: {digest_time}\n"
        "- reminders: {reminder}\n"
        "- time zone: {time_zone}\n"
        "- quiet hours: {quiet}\n"
        "- digest on days without events: {skip}\n"
        "Change with: digest 07:30 / remind 10 / timezone Asia/Tokyo / "
        "quiet 23:00-07:00 / skip on"
    ),
}
REMINDER_BEFORE = {"ja": "{minutes}分前", "en": "{minutes} minutes before"}
REMINDER_OFF = {"ja": "なし", "en": "off"}
QUIET_NONE = {"ja": "なし", "en": "none"}
SKIP_ON = {"ja": "送らない", "en": "skipped"}
SKIP_OFF = {"ja": "送る", "en": "sent"}

SETTING_SAVED = {
    "digest_time": {"ja": "毎朝の通知を {value} にしました。", "en": "Daily digest at {value}."},
    "reminder_minutes": {
        "ja": "予定の {value} 分前にリマインドします。",
        "en": "I'll remind you {value} minutes before each event.",
    },
    "reminder_off": {"ja": "リマインドをオフにしました。", "en": "Reminders are off."},
    "time_zone": {"ja": "タイムゾーンを {value} にしました。", "en": "Time zone set to {value}."},
    "quiet_hours": {
        "ja": "{value} はリマインドを送りません。",
        "en": "No reminders during {value}.",
    },
    "quiet_off": {"ja": "おやすみ時間をなくしました。", "en": "Quiet hours are off."},
    "skip_on": {
        "ja": "予定のない日は毎朝の通知を送りません。",
        "en": "No digest on days without events.",
    },
    "skip_off": {
        "ja": "予定のない日も毎朝の通知を送ります。",
        "en": "You'll get a digest every day, events or not.",
    },
}

SETTING_HELP = {
    "digest_time": {
        "ja": "時刻は「通知時刻 07:30」のように 00:00〜23:59 で送ってください。",
        "en": 'Send a time from 00:00 to 23:59, like "digest 07:30".',
    },
    "reminder_minutes": {
        "ja": "「リマインド 10」のように 0〜{max}（分）で送ってください。0 でオフになります。",
        "en": 'Send minutes from 0 to {max}, like "remind 10". 0 turns reminders off.',
    },
    "time_zone": {
        "ja": "「タイムゾーン Asia/Tokyo」のように地域名で送ってください。",
        "en": 'Send a zone name like "timezone Asia/Tokyo" or "timezone Europe/London".',
    },
    "quiet_hours": {
        "ja": "「おやすみ 23:00-07:00」のように送ってください。「おやすみ オフ」でなくせます。",
        "en": 'Send a range like "quiet 23:00-07:00", or "quiet off" to remove it.',
    },
    "skip_empty_days": {
        "ja": "「空の日スキップ オン」か「空の日スキップ オフ」と送ってください。",
        "en": 'Send "skip on" or "skip off".',
    },
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
