"""The LINE sandbox, driven through its HTTP doors and through the real line-bot-sdk v3."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessageAction,
    MessagingApi,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.test import Client, TestResponse

from linecal.local.sandbox_line import LineSandbox

ACCESS_TOKEN = "sandbox-channel-access-token"
USER_ID = "U4af4980629000000000000000000000a"
OTHER_USER_ID = "U4af4980629000000000000000000000b"
PREFIX = "/sandbox/line"
AUTH = {"Authorization": f"Bearer {ACCESS_TOKEN}"}


class FakeClock:
    def __init__(self, now: float = 1_764_720_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> LineSandbox:
    return LineSandbox(ACCESS_TOKEN, reply_token_ttl_seconds=60.0, clock=clock)


def mounted(sandbox: LineSandbox) -> Client:
    """A test client for the sandbox mounted under its prefix, as the local server does."""
    return Client(DispatcherMiddleware(NotFound(), {PREFIX: sandbox.wsgi_app}))


@pytest.fixture
def client(sandbox: LineSandbox) -> Client:
    return mounted(sandbox)


@pytest.fixture
def line_api(sandbox: LineSandbox) -> Iterator[MessagingApi]:
    """The real SDK, talking plain HTTP to the sandbox served on a free local port."""
    app = DispatcherMiddleware(NotFound(), {PREFIX: sandbox.wsgi_app})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    configuration = Configuration(
        host=f"http://127.0.0.1:{server.port}{PREFIX}", access_token=ACCESS_TOKEN
    )
    with ApiClient(configuration) as api_client:
        yield MessagingApi(api_client)
    server.shutdown()
    thread.join()


def json_of(response: TestResponse) -> Any:
    """The JSON body, typed loosely as tests read it."""
    return json.loads(response.get_data(as_text=True))


def issue_reply_token(client: Client, user_id: str = USER_ID) -> str:
    response = client.post(f"{PREFIX}/reply-tokens", json={"userId": user_id})
    assert response.status_code == 200
    token: str = json_of(response)["replyToken"]
    return token


def text_messages(count: int, text: str = "こんにちは") -> list[dict[str, Any]]:
    return [{"type": "text", "text": text} for _ in range(count)]


def push(client: Client, body: dict[str, Any], **headers: str) -> Any:
    return client.post(f"{PREFIX}/v2/bot/message/push", json=body, headers={**AUTH, **headers})


# -- through the real SDK --


def test_sdk_reply_is_answered_in_lines_shape_and_recorded(
    client: Client, line_api: MessagingApi
) -> None:
    # GIVEN a reply token the chat tool obtained for a user
    reply_token = issue_reply_token(client)
    quick_reply = QuickReply(
        items=[QuickReplyItem(action=MessageAction(label="一覧", text="カレンダー一覧"))]
    )

    # WHEN the bot replies through the SDK
    answer = line_api.reply_message(
        ReplyMessageRequest(
            reply_token=reply_token,
            messages=[TextMessage(text="予定です", quick_reply=quick_reply), TextMessage(text="2")],
        )
    )

    # THEN the SDK accepted LINE's answer shape and the sandbox recorded the exact messages
    assert len(answer.sent_messages) == 2
    assert all(sent.id.isdigit() and sent.quote_token for sent in answer.sent_messages)
    [delivery] = json_of(client.get(f"{PREFIX}/messages", query_string={"to": USER_ID}))
    assert delivery["via"] == "reply"
    assert delivery["retryKey"] is None
    assert delivery["messages"][0]["text"] == "予定です"
    assert delivery["messages"][0]["quickReply"]["items"][0]["action"]["label"] == "一覧"


def test_sdk_reply_with_expired_token_raises_400(
    client: Client, line_api: MessagingApi, clock: FakeClock
) -> None:
    # GIVEN a reply token older than its TTL
    reply_token = issue_reply_token(client)
    clock.now += 61

    # WHEN the bot replies with it
    with pytest.raises(ApiException) as raised:
        line_api.reply_message(
            ReplyMessageRequest(reply_token=reply_token, messages=[TextMessage(text="遅い")])
        )

    # THEN LINE's answer comes back and nothing was delivered
    assert raised.value.status == 400
    assert "Invalid reply token" in str(raised.value.body)
    assert json_of(client.get(f"{PREFIX}/messages")) == []


def test_sdk_push_twice_with_one_retry_key_is_409_and_delivered_once(
    client: Client, line_api: MessagingApi
) -> None:
    # GIVEN a push that was accepted under a retry key
    retry_key = str(uuid.uuid4())
    request = PushMessageRequest(to=USER_ID, messages=[TextMessage(text="10:00 定例")])
    first = line_api.push_message_with_http_info(request, x_line_retry_key=retry_key)

    # WHEN the bot retries it with the same key
    with pytest.raises(ApiException) as raised:
        line_api.push_message(request, x_line_retry_key=retry_key)

    # THEN LINE's 409 points at the accepted request, and the user got the message once
    assert raised.value.status == 409
    assert raised.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    deliveries = json_of(client.get(f"{PREFIX}/messages", query_string={"to": USER_ID}))
    assert [d["retryKey"] for d in deliveries] == [retry_key]
    assert json_of(client.get(f"{PREFIX}/stats")) == {"reply": 0, "push": 2, "rejected": 1}


def test_sdk_reads_quota_consumption_and_profile(client: Client, line_api: MessagingApi) -> None:
    # GIVEN one push so far
    line_api.push_message(PushMessageRequest(to=USER_ID, messages=[TextMessage(text="x")]))

    # WHEN the bot reads its quota, its consumption and a profile
    quota = line_api.get_message_quota()
    consumption = line_api.get_message_quota_consumption()
    profile = line_api.get_profile(USER_ID)

    # THEN they come back in LINE's shapes
    assert (quota.type, quota.value) == ("limited", 500)
    assert consumption.total_usage == 1
    assert (profile.user_id, profile.display_name, profile.language) == (
        USER_ID,
        "Sandbox User",
        "ja",
    )


# -- through the HTTP doors --


def test_reply_token_works_once(client: Client) -> None:
    # GIVEN a reply token that has been used
    reply_token = issue_reply_token(client)
    body = {"replyToken": reply_token, "messages": text_messages(1)}
    assert client.post(f"{PREFIX}/v2/bot/message/reply", json=body, headers=AUTH).status_code == 200

    # WHEN it is used again
    again = client.post(f"{PREFIX}/v2/bot/message/reply", json=body, headers=AUTH)

    # THEN LINE refuses it
    assert (again.status_code, json_of(again)) == (400, {"message": "Invalid reply token"})


def test_reply_token_not_issued_by_the_sandbox_is_refused(client: Client) -> None:
    # GIVEN a well-formed reply token the sandbox never issued (the fixtures' one)
    body = {"replyToken": "b60d432864f44d079f6d8efe86cf404b", "messages": text_messages(1)}

    # WHEN the bot replies with it
    response = client.post(f"{PREFIX}/v2/bot/message/reply", json=body, headers=AUTH)

    # THEN it is refused
    assert response.status_code == 400


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ACCESS_TOKEN}]
)
def test_calls_without_the_channel_token_get_401(client: Client, headers: dict[str, str]) -> None:
    # GIVEN / WHEN a push without the right bearer token
    response = client.post(
        f"{PREFIX}/v2/bot/message/push",
        json={"to": USER_ID, "messages": text_messages(1)},
        headers=headers,
    )

    # THEN LINE's authentication error, and nothing delivered
    assert response.status_code == 401
    assert json_of(response)["message"].startswith("Authentication failed")
    assert json_of(client.get(f"{PREFIX}/messages")) == []


@pytest.mark.parametrize(
    ("message", "bad_property"),
    [
        ({"type": "text", "text": "😀" * 2501}, "messages[0].text"),
        ({"type": "text", "text": ""}, "messages[0].text"),
        (
            {
                "type": "text",
                "text": "選んでください",
                "quickReply": {
                    "items": [
                        {"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}
                    ]
                    * 14
                },
            },
            "messages[0].quickReply.items",
        ),
        (
            {
                "type": "text",
                "text": "選んでください",
                "quickReply": {
                    "items": [
                        {
                            "type": "action",
                            "action": {"type": "message", "label": "あ" * 21, "text": "a"},
                        }
                    ]
                },
            },
            "messages[0].quickReply.items[0].action.label",
        ),
        (
            {
                "type": "text",
                "text": "選んでください",
                "quickReply": {
                    "items": [
                        {
                            "type": "action",
                            "action": {"type": "postback", "label": "追加", "data": "d" * 301},
                        }
                    ]
                },
            },
            "messages[0].quickReply.items[0].action.data",
        ),
    ],
)
def test_messages_over_lines_limits_are_refused_with_details(
    client: Client, message: dict[str, Any], bad_property: str
) -> None:
    # GIVEN / WHEN a push whose message breaks one of LINE's limits
    response = push(client, {"to": USER_ID, "messages": [message]})

    # THEN LINE's validation answer names the property
    assert response.status_code == 400
    assert json_of(response)["message"] == "The request body has 1 error(s)"
    assert [detail["property"] for detail in json_of(response)["details"]] == [bad_property]


def test_text_at_exactly_5000_utf16_units_is_accepted(client: Client) -> None:
    # GIVEN / WHEN a text of 2500 emoji, each two UTF-16 code units
    response = push(client, {"to": USER_ID, "messages": [{"type": "text", "text": "😀" * 2500}]})

    # THEN it is within the limit
    assert response.status_code == 200


@pytest.mark.parametrize("count", [0, 6])
def test_message_count_outside_1_to_5_is_refused(client: Client, count: int) -> None:
    response = push(client, {"to": USER_ID, "messages": text_messages(count)})

    assert response.status_code == 400
    assert json_of(response)["details"][0]["property"] == "messages"


def test_malformed_json_is_400(client: Client) -> None:
    response = client.post(
        f"{PREFIX}/v2/bot/message/push",
        data="{not json",
        headers=AUTH,
        content_type="application/json",
    )

    assert response.status_code == 400


def test_push_beyond_the_monthly_quota_is_429(client: Client) -> None:
    # GIVEN a monthly quota of one message, already used
    client.post(f"{PREFIX}/settings", json={"monthlyQuota": 1})
    assert push(client, {"to": USER_ID, "messages": text_messages(1)}).status_code == 200

    # WHEN the bot pushes again
    response = push(client, {"to": USER_ID, "messages": text_messages(1)})

    # THEN LINE's monthly-limit answer, and usage stays at the quota
    assert (response.status_code, json_of(response)) == (
        429,
        {"message": "You have reached your monthly limit."},
    )
    consumption = client.get(f"{PREFIX}/v2/bot/message/quota/consumption", headers=AUTH)
    assert json_of(consumption) == {"totalUsage": 1}


def test_injected_faults_answer_the_next_n_calls_then_stop(client: Client) -> None:
    # GIVEN two injected 500s on push
    fault = {"path": "/v2/bot/message/push", "status": 500, "count": 2}
    assert client.post(f"{PREFIX}/faults", json=fault).status_code == 200
    body = {"to": USER_ID, "messages": text_messages(1)}

    # WHEN the bot pushes three times
    statuses = [push(client, body).status_code for _ in range(3)]

    # THEN the first two fail, the third is delivered once
    assert statuses == [500, 500, 200]
    assert len(json_of(client.get(f"{PREFIX}/messages"))) == 1
    assert json_of(client.get(f"{PREFIX}/stats")) == {"reply": 0, "push": 3, "rejected": 2}


def test_a_failed_push_does_not_consume_its_retry_key(client: Client) -> None:
    # GIVEN a push under a retry key that failed with an injected 500
    client.post(f"{PREFIX}/faults", json={"path": "/v2/bot/message/push", "status": 500})
    retry_key = str(uuid.uuid4())
    body = {"to": USER_ID, "messages": text_messages(1)}
    assert push(client, body, **{"X-Line-Retry-Key": retry_key}).status_code == 500

    # WHEN it is retried with the same key
    response = push(client, body, **{"X-Line-Retry-Key": retry_key})

    # THEN the retry is the one accepted
    assert response.status_code == 200


def test_cleared_faults_no_longer_fire(client: Client) -> None:
    client.post(f"{PREFIX}/faults", json={"path": "/v2/bot/message/push", "status": 429})

    client.delete(f"{PREFIX}/faults")

    assert push(client, {"to": USER_ID, "messages": text_messages(1)}).status_code == 200


def test_messages_are_filtered_by_recipient_and_kept_in_order(client: Client) -> None:
    # GIVEN pushes to two users
    for to, text in [(USER_ID, "1"), (OTHER_USER_ID, "2"), (USER_ID, "3")]:
        push(client, {"to": to, "messages": text_messages(1, text)})

    # WHEN the messages of one are read
    deliveries = json_of(client.get(f"{PREFIX}/messages", query_string={"to": USER_ID}))

    # THEN only theirs, in order
    assert [d["messages"][0]["text"] for d in deliveries] == ["1", "3"]
    assert len(json_of(client.get(f"{PREFIX}/messages"))) == 3


def test_reset_forgets_everything(client: Client) -> None:
    # GIVEN a delivery, an issued token and a smaller quota
    reply_token = issue_reply_token(client)
    client.post(f"{PREFIX}/settings", json={"monthlyQuota": 3})
    push(client, {"to": USER_ID, "messages": text_messages(1)})

    # WHEN the sandbox is reset
    client.post(f"{PREFIX}/reset")

    # THEN all of it is gone
    body = {"replyToken": reply_token, "messages": text_messages(1)}
    assert client.post(f"{PREFIX}/v2/bot/message/reply", json=body, headers=AUTH).status_code == 400
    assert json_of(client.get(f"{PREFIX}/messages")) == []
    assert json_of(client.get(f"{PREFIX}/v2/bot/message/quota", headers=AUTH))["value"] == 500
    assert json_of(client.get(f"{PREFIX}/stats")) == {"reply": 1, "push": 0, "rejected": 1}


def test_two_sandboxes_in_one_process_share_nothing(clock: FakeClock) -> None:
    # GIVEN two sandboxes
    first, second = LineSandbox(ACCESS_TOKEN, clock=clock), LineSandbox("other", clock=clock)

    # WHEN a token is issued by the first
    first.issue_reply_token(USER_ID)
    push(mounted(first), {"to": USER_ID, "messages": text_messages(1)})

    # THEN the second saw nothing
    assert len(first.sent_messages(USER_ID)) == 1
    assert second.sent_messages() == []


def test_concurrent_pushes_are_all_recorded(sandbox: LineSandbox) -> None:
    # GIVEN eight threads pushing 25 times each
    statuses: list[int] = []

    def push_many() -> None:
        client = mounted(sandbox)
        for _ in range(25):
            statuses.append(push(client, {"to": USER_ID, "messages": text_messages(1)}).status_code)

    threads = [threading.Thread(target=push_many) for _ in range(8)]

    # WHEN they run at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN every push was accepted and none was lost
    assert statuses == [200] * 200
    assert len(sandbox.sent_messages()) == 200
    assert json_of(mounted(sandbox).get(f"{PREFIX}/stats"))["push"] == 200
