"""Adapter: checking a LINE webhook request and turning its events into domain events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    GroupSource,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)
from pydantic import ValidationError

from services.command.domain.commands import Intent, parse_command
from shared.events import (
    DomainEvent,
    LineGroupMessageReceived,
    LineMessageReceived,
    LinePostbackReceived,
    LineUserFollowed,
    LineUserUnfollowed,
)


class SignatureMismatch(Exception):
    """The body was not signed with our channel secret (or not signed at all)."""


class MalformedBody(Exception):
    """The body was signed correctly but is not a LINE webhook payload."""


@dataclass(frozen=True)
class WebhookBatch:
    events: list[DomainEvent]
    ignored: int


def _is_redelivery(event: Event) -> bool:
    context = getattr(event, "delivery_context", None)
    return bool(getattr(context, "is_redelivery", False))


def _to_domain_event(event: Event) -> DomainEvent | None:
    source = getattr(event, "source", None)
    event_id = str(getattr(event, "webhook_event_id", ""))
    reply_token = getattr(event, "reply_token", None)
    redelivery = _is_redelivery(event)

    if isinstance(source, GroupSource | RoomSource):
        if not isinstance(event, MessageEvent):
            return None
        chat_id = source.group_id if isinstance(source, GroupSource) else source.room_id
        return LineGroupMessageReceived(
            chat_id=chat_id,
            webhook_event_id=event_id,
            reply_token=reply_token,
            is_redelivery=redelivery,
        )
    if not isinstance(source, UserSource) or not source.user_id:
        return None

    user_id = source.user_id
    if isinstance(event, MessageEvent):
        if isinstance(event.message, TextMessageContent):
            command = parse_command(event.message.text)
            intent, argument, language = command.intent, command.argument, command.language
        else:
            # Stickers, photos and the like get the same gentle hint as unknown text.
            intent, argument, language = Intent.UNKNOWN, None, "ja"
        return LineMessageReceived(
            user_id=user_id,
            webhook_event_id=event_id,
            reply_token=reply_token,
            is_redelivery=redelivery,
            intent=intent.value,
            argument=argument,
            language=language,
        )
    if isinstance(event, PostbackEvent):
        return LinePostbackReceived(
            user_id=user_id,
            webhook_event_id=event_id,
            reply_token=reply_token,
            is_redelivery=redelivery,
            data=event.postback.data,
        )
    if isinstance(event, FollowEvent):
        return LineUserFollowed(
            user_id=user_id,
            webhook_event_id=event_id,
            reply_token=reply_token,
            is_redelivery=redelivery,
        )
    if isinstance(event, UnfollowEvent):
        return LineUserUnfollowed(
            user_id=user_id, webhook_event_id=event_id, is_redelivery=redelivery
        )
    return None


class LineWebhookReader:
    """Verifies `X-Line-Signature` on the raw body and reads the events it carries."""

    def __init__(self, channel_secret: str) -> None:
        self._parser = WebhookParser(channel_secret)
        self._secret = channel_secret.encode("utf-8")

    def _signed_bytes(self, body: bytes, signature: str) -> bool:
        digest = hmac.new(self._secret, body, hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest), signature.encode("utf-8", "replace"))

    def read(self, body: bytes, signature: str | None) -> WebhookBatch:
        if not signature:
            raise SignatureMismatch()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # The SDK checks signatures on text; bytes that are not UTF-8 are checked here,
            # so that a correctly signed but broken body is told apart from a forged one.
            if self._signed_bytes(body, signature):
                raise MalformedBody("not UTF-8") from None
            raise SignatureMismatch() from None

        try:
            line_events = self._parser.parse(text, signature)
        except InvalidSignatureError:
            raise SignatureMismatch() from None
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            ValidationError,
            RecursionError,  # deeply nested JSON
        ) as exc:
            raise MalformedBody(type(exc).__name__) from None

        if not isinstance(line_events, list):
            raise MalformedBody("events")
        events = [e for e in map(_to_domain_event, line_events) if e is not None]
        return WebhookBatch(events=events, ignored=len(line_events) - len(events))
