"""A local stand-in for the LINE Messaging API that speaks LINE's wire format.

The real line-bot-sdk (v3) talks to it unchanged: point `Configuration(host=...)` at the
prefix this app is mounted under. Besides LINE's own endpoints it has sandbox-only doors
(`/reply-tokens`, `/messages`, `/faults`, `/settings`, `/reset`, `/stats`) that let a local
chat tool and tests issue reply tokens, read what the bot sent and inject failures.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

JsonObject = dict[str, Any]
Handler = Callable[[Request, Mapping[str, Any]], Response]

MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_UTF16_UNITS = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_ACTION_LABEL_CHARS = 20
MAX_POSTBACK_DATA_CHARS = 300
DEFAULT_MONTHLY_QUOTA = 500
SANDBOX_DISPLAY_NAME = "Sandbox User"

# NOTE: LINE hands out quote tokens only for messages a user can quote in the chat.
QUOTABLE_MESSAGE_TYPES = frozenset({"text", "textV2", "sticker", "image", "video"})
ACTION_TYPES = frozenset(
    {
        "postback",
        "message",
        "uri",
        "datetimepicker",
        "camera",
        "cameraRoll",
        "location",
        "richmenuswitch",
        "clipboard",
    }
)

AUTHENTICATION_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
INVALID_REPLY_TOKEN = "Invalid reply token"
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
MONTHLY_LIMIT_REACHED = "You have reached your monthly limit."
DEFAULT_FAULT_MESSAGES = {
    429: "The API rate limit has been exceeded. Try again later.",
    500: "Internal server error",
}


@dataclass
class _Fault:
    status: int
    remaining: int
    body: JsonObject


@dataclass(frozen=True)
class _IssuedReplyToken:
    user_id: str
    expires_at: float


@dataclass(frozen=True)
class _AcceptedPush:
    request_id: str
    sent_messages: list[JsonObject]


class LineSandbox:
    """LINE Messaging API stand-in; one instance is one isolated LINE channel.

    Call counts in `/stats`: `reply` and `push` count every call to those endpoints,
    `rejected` counts those of them answered with an error (faults included).
    """

    _reply_token_ttl: float
    _monthly_quota: int
    _reply_tokens: dict[str, _IssuedReplyToken]
    _accepted_pushes: dict[str, _AcceptedPush]
    _deliveries: list[JsonObject]
    _faults: dict[str, list[_Fault]]
    _stats: dict[str, int]
    _push_count: int
    _next_message_id: int

    def __init__(
        self,
        access_token: str,
        reply_token_ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        monthly_quota: int = DEFAULT_MONTHLY_QUOTA,
    ) -> None:
        self._access_token = access_token
        self._initial_reply_token_ttl = reply_token_ttl_seconds
        self._initial_monthly_quota = monthly_quota
        self._clock = clock
        self._lock = threading.Lock()
        self._url_map = Map(
            [
                Rule("/v2/bot/message/reply", methods=["POST"], endpoint="reply"),
                Rule("/v2/bot/message/push", methods=["POST"], endpoint="push"),
                Rule("/v2/bot/message/quota", methods=["GET"], endpoint="quota"),
                Rule("/v2/bot/message/quota/consumption", methods=["GET"], endpoint="consumption"),
                Rule("/v2/bot/profile/<user_id>", methods=["GET"], endpoint="profile"),
                Rule("/reply-tokens", methods=["POST"], endpoint="issue_reply_token"),
                Rule("/messages", methods=["GET"], endpoint="messages"),
                Rule("/faults", methods=["POST"], endpoint="add_fault"),
                Rule("/faults", methods=["DELETE"], endpoint="clear_faults"),
                Rule("/settings", methods=["POST"], endpoint="settings"),
                Rule("/reset", methods=["POST"], endpoint="reset"),
                Rule("/stats", methods=["GET"], endpoint="stats"),
            ]
        )
        self._handlers: dict[str, Handler] = {
            "reply": self._on_reply,
            "push": self._on_push,
            "quota": self._on_quota,
            "consumption": self._on_consumption,
            "profile": self._on_profile,
            "issue_reply_token": self._on_issue_reply_token,
            "messages": self._on_messages,
            "add_fault": self._on_add_fault,
            "clear_faults": self._on_clear_faults,
            "settings": self._on_settings,
            "reset": self._on_reset,
            "stats": self._on_stats,
        }
        self._forget_everything()

    # -- in-process doors, the same as the HTTP ones, for tests that hold the instance --

    def issue_reply_token(self, user_id: str) -> str:
        """Issue a single-use reply token bound to `user_id`, as a webhook event would carry."""
        with self._lock:
            token, _ = self._issue_reply_token(user_id)
        return token

    def sent_messages(self, to: str | None = None) -> list[JsonObject]:
        """Every accepted reply and push, in order; only those to `to` when given."""
        with self._lock:
            return self._deliveries_to(to)

    def reset(self) -> None:
        """Forget tokens, deliveries, faults, counters and settings."""
        with self._lock:
            self._forget_everything()

    # -- WSGI --

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    __call__ = wsgi_app

    def _dispatch(self, request: Request) -> Response:
        adapter = self._url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException as error:
            return _json({"message": error.name}, error.code or 404)
        # NOTE: one lock around the whole call keeps each request atomic; every handler is
        # quick and never blocks, so serializing them costs nothing here.
        with self._lock:
            fault = self._take_fault(request.path)
            if fault:
                response = _json(fault.body, fault.status)
            else:
                response = self._handlers[endpoint](request, args)
            if endpoint in ("reply", "push"):
                self._stats[endpoint] += 1
                if response.status_code >= 400:
                    self._stats["rejected"] += 1
        if request.path.startswith("/v2/"):
            response.headers.setdefault("x-line-request-id", str(uuid.uuid4()))
        return response

    # -- LINE's endpoints --

    def _on_reply(self, request: Request, args: Mapping[str, Any]) -> Response:
        refusal = self._refuse_unauthenticated(request)
        if refusal:
            return refusal
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        details = _message_request_errors(body, recipient_field="replyToken")
        if details:
            return _validation_failure(details)
        issued = self._reply_tokens.pop(body["replyToken"], None)
        if issued is None or self._clock() >= issued.expires_at:
            return _json({"message": INVALID_REPLY_TOKEN}, 400)
        sent = self._deliver(issued.user_id, "reply", body["messages"], retry_key=None)
        return _json({"sentMessages": sent}, 200)

    def _on_push(self, request: Request, args: Mapping[str, Any]) -> Response:
        refusal = self._refuse_unauthenticated(request)
        if refusal:
            return refusal
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key is not None and not _is_uuid(retry_key):
            return _json({"message": "The value for the 'X-Line-Retry-Key' header is invalid"}, 400)
        # NOTE: the duplicate check comes before the quota check so that retrying a push
        # that used the last unit of quota still answers 409, as LINE does.
        if retry_key is not None and retry_key in self._accepted_pushes:
            accepted = self._accepted_pushes[retry_key]
            response = _json(
                {"message": RETRY_KEY_ACCEPTED, "sentMessages": accepted.sent_messages}, 409
            )
            response.headers["x-line-accepted-request-id"] = accepted.request_id
            return response
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        details = _message_request_errors(body, recipient_field="to")
        if details:
            return _validation_failure(details)
        if self._push_count >= self._monthly_quota:
            return _json({"message": MONTHLY_LIMIT_REACHED}, 429)
        self._push_count += 1
        sent = self._deliver(body["to"], "push", body["messages"], retry_key=retry_key)
        response = _json({"sentMessages": sent}, 200)
        if retry_key is not None:
            request_id = str(uuid.uuid4())
            self._accepted_pushes[retry_key] = _AcceptedPush(request_id, sent)
            response.headers["x-line-request-id"] = request_id
        return response

    def _on_quota(self, request: Request, args: Mapping[str, Any]) -> Response:
        refusal = self._refuse_unauthenticated(request)
        return refusal or _json({"type": "limited", "value": self._monthly_quota}, 200)

    def _on_consumption(self, request: Request, args: Mapping[str, Any]) -> Response:
        refusal = self._refuse_unauthenticated(request)
        return refusal or _json({"totalUsage": self._push_count}, 200)

    def _on_profile(self, request: Request, args: Mapping[str, Any]) -> Response:
        refusal = self._refuse_unauthenticated(request)
        profile = {"userId": args["user_id"], "displayName": SANDBOX_DISPLAY_NAME, "language": "ja"}
        return refusal or _json(profile, 200)

    # -- sandbox-only doors --

    def _on_issue_reply_token(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        user_id = body.get("userId")
        if not isinstance(user_id, str) or not user_id:
            return _json({"message": "userId must be a non-empty string"}, 400)
        token, expires_at = self._issue_reply_token(user_id)
        return _json({"replyToken": token, "expiresAt": expires_at}, 200)

    def _on_messages(self, request: Request, args: Mapping[str, Any]) -> Response:
        return _json(self._deliveries_to(request.args.get("to")), 200)

    def _on_add_fault(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        path, status, count = body.get("path"), body.get("status"), body.get("count", 1)
        fault_body = body.get("body")
        if not isinstance(path, str) or not path.startswith("/v2/"):
            return _json({"message": "path must be a LINE API path such as /v2/..."}, 400)
        if not _is_int(status) or not 400 <= status <= 599:
            return _json({"message": "status must be an HTTP error status"}, 400)
        if not _is_int(count) or count < 1:
            return _json({"message": "count must be a positive integer"}, 400)
        if fault_body is not None and not isinstance(fault_body, dict):
            return _json({"message": "body must be an object"}, 400)
        default_body = {"message": DEFAULT_FAULT_MESSAGES.get(status, "Sandbox fault")}
        fault = _Fault(status, count, fault_body if fault_body is not None else default_body)
        self._faults.setdefault(path, []).append(fault)
        return _json({}, 200)

    def _on_clear_faults(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._faults.clear()
        return _json({}, 200)

    def _on_settings(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = _read_json_object(request)
        if isinstance(body, Response):
            return body
        unknown = set(body) - {"replyTokenTtlSeconds", "monthlyQuota"}
        if unknown:
            return _json({"message": f"unknown settings: {sorted(unknown)}"}, 400)
        ttl = body.get("replyTokenTtlSeconds", self._reply_token_ttl)
        quota = body.get("monthlyQuota", self._monthly_quota)
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
            return _json({"message": "replyTokenTtlSeconds must be a number >= 0"}, 400)
        if not _is_int(quota) or quota < 0:
            return _json({"message": "monthlyQuota must be an integer >= 0"}, 400)
        self._reply_token_ttl, self._monthly_quota = float(ttl), quota
        return _json({"replyTokenTtlSeconds": float(ttl), "monthlyQuota": quota}, 200)

    def _on_reset(self, request: Request, args: Mapping[str, Any]) -> Response:
        self._forget_everything()
        return _json({}, 200)

    def _on_stats(self, request: Request, args: Mapping[str, Any]) -> Response:
        return _json(dict(self._stats), 200)

    # -- state; callers hold the lock --

    def _forget_everything(self) -> None:
        self._reply_token_ttl = self._initial_reply_token_ttl
        self._monthly_quota = self._initial_monthly_quota
        self._reply_tokens = {}
        self._accepted_pushes = {}
        self._deliveries = []
        self._faults = {}
        self._stats = {"reply": 0, "push": 0, "rejected": 0}
        self._push_count = 0
        # NOTE: 18 digits like LINE's message ids, so code that parses them as ints is exercised.
        self._next_message_id = 500_000_000_000_000_000

    def _issue_reply_token(self, user_id: str) -> tuple[str, float]:
        token = secrets.token_hex(16)
        expires_at = self._clock() + self._reply_token_ttl
        self._reply_tokens[token] = _IssuedReplyToken(user_id, expires_at)
        return token, expires_at

    def _deliveries_to(self, to: str | None) -> list[JsonObject]:
        chosen = [d for d in self._deliveries if to is None or d["to"] == to]
        return copy.deepcopy(chosen)

    def _deliver(
        self, to: str, via: str, messages: list[JsonObject], retry_key: str | None
    ) -> list[JsonObject]:
        sent = [self._sent_message(message) for message in messages]
        self._deliveries.append(
            {
                "to": to,
                "via": via,
                "messages": copy.deepcopy(messages),
                "retryKey": retry_key,
                "at": self._clock(),
            }
        )
        return sent

    def _sent_message(self, message: JsonObject) -> JsonObject:
        self._next_message_id += 1
        sent: JsonObject = {"id": str(self._next_message_id)}
        if message.get("type") in QUOTABLE_MESSAGE_TYPES:
            sent["quoteToken"] = secrets.token_urlsafe(8)
        return sent

    def _take_fault(self, path: str) -> _Fault | None:
        queued = self._faults.get(path)
        if not queued:
            return None
        fault = queued[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queued.pop(0)
        return fault

    def _refuse_unauthenticated(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") == f"Bearer {self._access_token}":
            return None
        return _json({"message": AUTHENTICATION_FAILED}, 401)


def _message_request_errors(body: JsonObject, recipient_field: str) -> list[JsonObject]:
    """LINE's per-property validation errors for a reply or push body."""
    details: list[JsonObject] = []
    recipient = body.get(recipient_field)
    if not isinstance(recipient, str) or not recipient:
        details.append({"message": "must be specified", "property": recipient_field})
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES_PER_REQUEST:
        details.append(
            {
                "message": f"Size must be between 1 and {MAX_MESSAGES_PER_REQUEST}",
                "property": "messages",
            }
        )
        return details
    for index, message in enumerate(messages):
        details.extend(_message_errors(message, f"messages[{index}]"))
    return details


def _message_errors(message: object, where: str) -> list[JsonObject]:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return [{"message": "must be specified", "property": f"{where}.type"}]
    details: list[JsonObject] = []
    if message["type"] == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text:
            details.append({"message": "May not be empty", "property": f"{where}.text"})
        elif _utf16_length(text) > MAX_TEXT_UTF16_UNITS:
            details.append(_too_long(MAX_TEXT_UTF16_UNITS, f"{where}.text"))
    quick_reply = message.get("quickReply")
    if isinstance(quick_reply, dict):
        items = quick_reply.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_QUICK_REPLY_ITEMS:
            details.append(
                {
                    "message": f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}",
                    "property": f"{where}.quickReply.items",
                }
            )
    for path, node in _objects_within(message, where):
        label = node.get("label")
        is_action = node.get("type") in ACTION_TYPES
        if is_action and isinstance(label, str) and len(label) > MAX_ACTION_LABEL_CHARS:
            details.append(_too_long(MAX_ACTION_LABEL_CHARS, f"{path}.label"))
        data = node.get("data")
        is_postback = node.get("type") == "postback"
        if is_postback and isinstance(data, str) and len(data) > MAX_POSTBACK_DATA_CHARS:
            details.append(_too_long(MAX_POSTBACK_DATA_CHARS, f"{path}.data"))
    return details


def _objects_within(value: object, path: str) -> Iterator[tuple[str, JsonObject]]:
    """Every JSON object nested in `value`, with its property path in LINE's notation."""
    if isinstance(value, dict):
        yield path, value
        for key, child in value.items():
            yield from _objects_within(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _objects_within(child, f"{path}[{index}]")


def _too_long(limit: int, prop: str) -> JsonObject:
    return {"message": f"Length must be between 0 and {limit}", "property": prop}


def _validation_failure(details: list[JsonObject]) -> Response:
    return _json(
        {"message": f"The request body has {len(details)} error(s)", "details": details}, 400
    )


def _utf16_length(text: str) -> int:
    # NOTE: LINE counts UTF-16 code units, so an emoji outside the BMP costs two.
    return len(text.encode("utf-16-le")) // 2


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_json_object(request: Request) -> JsonObject | Response:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return _json({"message": "The request body could not be parsed as JSON"}, 400)
    if not isinstance(body, dict):
        return _json({"message": "The request body must be a JSON object"}, 400)
    return body


def _json(body: object, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
