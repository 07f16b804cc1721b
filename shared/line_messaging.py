"""Adapter: sending our messages through the LINE Messaging API (line-bot-sdk v3)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessageAction,
    MessagingApi,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)

from shared.messages import OutgoingMessage, fit_label, fit_messages, in_calls
from shared.messages import retry_key_for as retry_key_for  # kept importable from here


class LineError(RuntimeError):
    """LINE refused or failed a call. Carries the status, never the request."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"LINE answered {status}: {message}")


class ReplyTokenRejected(LineError):
    """The reply token was expired, used or unknown (LINE answers 400)."""


class LineRateLimited(LineError):
    """Too many requests for now: worth retrying later."""


class LineMonthlyQuotaExhausted(LineError):
    """The channel has used its month's push messages: retrying will not help."""


class LineUnavailable(LineError):
    """LINE answered 5xx."""


def _error_from(exc: ApiException) -> LineError:
    status = int(exc.status or 0)
    message = ""
    try:
        message = str(json.loads(exc.body or b"{}").get("message", ""))
    except (ValueError, AttributeError):
        message = str(exc.reason or "")
    if status == 429 and "monthly limit" in message.lower():
        return LineMonthlyQuotaExhausted(status, message)
    if status == 429:
        return LineRateLimited(status, message)
    if status >= 500:
        return LineUnavailable(status, message)
    if status == 400 and "reply token" in message.lower():
        return ReplyTokenRejected(status, message)
    return LineError(status, message)


def _to_sdk(message: OutgoingMessage) -> TextMessage:
    if not message.quick_replies:
        return TextMessage(text=message.text)

    items = []
    for choice in message.quick_replies:
        label = fit_label(choice.label)
        action: MessageAction | PostbackAction
        if choice.postback_data is not None:
            action = PostbackAction(label=label, data=choice.postback_data, displayText=label)
        else:
            action = MessageAction(label=label, text=choice.text or choice.label)
        items.append(QuickReplyItem(action=action))
    return TextMessage(text=message.text, quickReply=QuickReply(items=items))


class LineMessenger:
    """Replies and pushes through LINE, within LINE's limits on messages and length."""

    def __init__(self, base_url: str, access_token: str, api: MessagingApi | None = None):
        if api is None:
            configuration = Configuration(host=base_url, access_token=access_token)
            api = MessagingApi(ApiClient(configuration))
        self._api = api

    def reply(self, reply_token: str, messages: Sequence[OutgoingMessage]) -> None:
        """Reply with up to five messages; raises `ReplyTokenRejected` for a dead token."""
        request = ReplyMessageRequest(
            replyToken=reply_token, messages=[_to_sdk(m) for m in messages]
        )
        try:
            self._api.reply_message(request)
        except ApiException as exc:
            raise _error_from(exc) from None

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None:
        """Push up to five messages once: a resend with the same key is not delivered twice."""
        request = PushMessageRequest(to=user_id, messages=[_to_sdk(m) for m in messages])
        try:
            self._api.push_message(request, x_line_retry_key=retry_key)
        except ApiException as exc:
            # 409: LINE already accepted a request with this retry key: it was delivered.
            if exc.status == 409:
                return
            raise _error_from(exc) from None

    def answer(
        self,
        user_id: str,
        reply_token: str | None,
        messages: Sequence[OutgoingMessage],
        retry_key: str,
    ) -> str:
        """Send an answer by reply, or by push when the reply token is missing or dead.

        More than five messages go out as one reply and then pushes. Returns how the first
        part was sent: "reply" or "push".
        """
        calls = in_calls(fit_messages(messages))
        if not calls:
            return "none"

        how = "push"
        if reply_token:
            try:
                self.reply(reply_token, calls[0])
                how = "reply"
                calls = calls[1:]
            except ReplyTokenRejected:
                pass

        for index, call in enumerate(calls):
            self.push(user_id, call, retry_key_for(retry_key, str(index)))
        return how
