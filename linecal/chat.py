"""Talking to a running stack as a LINE user would: sign a webhook body, read the answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests

BOT_USER_ID = "U" + "0" * 32


def sign(body: bytes, channel_secret: str) -> str:
    """X-Line-Signature: base64 of the HMAC-SHA256 of the exact body bytes."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _new_webhook_event_id() -> str:
    # LINE's ids are ULIDs; any unique 26-character string serves the same purpose here.
    return uuid.uuid4().hex[:26].upper()


def text_event(user_id: str, text: str, reply_token: str) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": _new_webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": reply_token,
        "message": {
            "type": "text",
            "id": str(int(time.time() * 1e6)),
            "text": text,
            "quoteToken": uuid.uuid4().hex,
        },
    }


def postback_event(user_id: str, data: str, reply_token: str) -> dict[str, Any]:
    return {
        "type": "postback",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": _new_webhook_event_id(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": reply_token,
        "postback": {"data": data},
    }


@dataclass(frozen=True)
class BotMessage:
    via: str
    message: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.message.get("text", f"[{self.message.get('type', 'message')}]"))

    @property
    def choices(self) -> list[dict[str, Any]]:
        items = (self.message.get("quickReply") or {}).get("items") or []
        return [item.get("action", {}) for item in items]


class ChatError(RuntimeError):
    """The stack could not be reached or refused the message."""


class ChatSession:
    """One LINE user talking to the bot of the stack at `base_url`."""

    def __init__(self, base_url: str, user_id: str, channel_secret: str) -> None:
        self._base_url = base_url.rstrip("/")
        self._user_id = user_id
        self._channel_secret = channel_secret
        self._seen = len(self._messages())

    def send_text(self, text: str, wait_seconds: float = 15.0) -> list[BotMessage]:
        return self._send(lambda token: text_event(self._user_id, text, token), wait_seconds)

    def send_postback(self, data: str, wait_seconds: float = 15.0) -> list[BotMessage]:
        return self._send(lambda token: postback_event(self._user_id, data, token), wait_seconds)

    def _send(self, make_event: Any, wait_seconds: float) -> list[BotMessage]:
        token = self._post("/sandbox/line/reply-tokens", {"userId": self._user_id})["replyToken"]
        body = json.dumps(
            {"destination": BOT_USER_ID, "events": [make_event(token)]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        answer = requests.post(
            f"{self._base_url}/line/webhook",
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Line-Signature": sign(body, self._channel_secret),
            },
            timeout=30,
        )
        if answer.status_code != 200:
            raise ChatError(f"the webhook answered {answer.status_code}")
        return self.wait_for_messages(wait_seconds)

    def wait_for_messages(
        self, wait_seconds: float, quiet_seconds: float = 0.7
    ) -> list[BotMessage]:
        """Collect what the bot sends until it has said something and then gone quiet."""
        deadline = time.monotonic() + wait_seconds
        collected: list[BotMessage] = []
        last_arrival = time.monotonic()
        while time.monotonic() < deadline:
            records = self._messages()
            new = records[self._seen :]
            if new:
                self._seen = len(records)
                last_arrival = time.monotonic()
                for record in new:
                    collected.extend(BotMessage(record["via"], m) for m in record["messages"])
            elif collected and time.monotonic() - last_arrival >= quiet_seconds:
                break
            time.sleep(0.1)
        return collected

    def _messages(self) -> list[dict[str, Any]]:
        try:
            answer = requests.get(
                f"{self._base_url}/sandbox/line/messages",
                params={"to": self._user_id},
                timeout=10,
            )
        except requests.RequestException as exc:
            raise ChatError(f"no local stack answers at {self._base_url}") from exc
        answer.raise_for_status()
        return list(answer.json())

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = requests.post(f"{self._base_url}{path}", json=payload, timeout=10)
        except requests.RequestException as exc:
            raise ChatError(f"no local stack answers at {self._base_url}") from exc
        answer.raise_for_status()
        return dict(answer.json())
