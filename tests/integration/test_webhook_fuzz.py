"""The webhook against whatever the internet sends: 10,000 generated requests.

No answer is a 5xx, bad signatures publish nothing, huge bodies are refused early, and the
process's memory stays bounded.
"""

from __future__ import annotations

import json
import resource
from typing import Any

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from linecal.chat import text_event
from linecal.local.embedded import EmbeddedStack
from tests.fixture_files import line_channel_secret
from tests.lines import signed

EXAMPLES = 10_000

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def webhook_requests(draw: st.DrawFn) -> tuple[bytes, str | None, str]:
    """(body, signature, kind): kind says what the webhook must do with it."""
    # Weighted so the expensive kinds (1 MB bodies, publishing) stay a small share.
    kind = draw(
        st.sampled_from(
            ["bad_signature"] * 30
            + ["no_signature"] * 10
            + ["signed_json"] * 30
            + ["signed_bytes"] * 20
            + ["nested"] * 4
            + ["huge"] * 2
            + ["valid_event"] * 4
        )
    )
    secret = line_channel_secret()
    if kind == "valid_event":
        text = draw(st.text(max_size=200))
        event = text_event("U" + "f" * 32, text, reply_token="0" * 32)
        body = json.dumps({"destination": "U0", "events": [event]}, ensure_ascii=False).encode()
        return body, signed(body, secret), kind
    if kind == "nested":
        depth = draw(st.integers(min_value=500, max_value=100_000))
        body = b'{"events":' + b"[" * depth + b"]" * depth + b"}"
        return body, signed(body, secret), kind
    if kind == "huge":
        body = b'{"events":[],"pad":"' + b"x" * 1_100_000 + b'"}'
        return body, signed(body, secret), kind
    if kind == "signed_bytes":
        body = draw(st.binary(max_size=2000))
        return body, signed(body, secret), kind
    if kind == "signed_json":
        body = json.dumps(draw(json_values), ensure_ascii=False).encode()
        return body, signed(body, secret), kind

    body = draw(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
    if kind == "no_signature":
        return body, None, kind
    # Any value HTTP can carry in a header: no control characters.
    header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60)
    signature = draw(header_text | st.just(signed(body, "not-the-secret")))
    return body, signature, kind


def _probe_queue(stack: EmbeddedStack) -> tuple[Any, str]:
    """A queue that gets a copy of everything the webhook publishes."""
    assert stack.stack is not None
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="probe-fuzz")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    events = boto3.client("events")
    bus = stack.stack.resources["EventBus"]
    events.put_rule(
        Name="probe-fuzz",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["linecal.command"]}),
    )
    events.put_targets(
        Rule="probe-fuzz",
        EventBusName=bus,
        Targets=[{"Id": "probe", "Arn": arn["Attributes"]["QueueArn"]}],
    )
    return sqs, url


def _drain(sqs: Any, url: str) -> int:
    count = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return count
        count += len(messages)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )


def test_generated_requests_never_get_a_5xx_and_bad_ones_publish_nothing(
    local_stack: EmbeddedStack,
) -> None:
    sqs, probe = _probe_queue(local_stack)
    _drain(sqs, probe)
    client = Client(local_stack.wsgi_app)
    outcomes: dict[str, set[int]] = {}
    published_expected = 0
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(webhook_requests())
    def post(request: tuple[bytes, str | None, str]) -> None:
        nonlocal published_expected
        body, signature, kind = request
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature

        answer = client.post("/line/webhook", data=body, headers=headers)

        assert answer.status_code < 500, (kind, answer.status_code)
        outcomes.setdefault(kind, set()).add(answer.status_code)
        if kind == "valid_event":
            published_expected += 1
            assert answer.status_code == 200
        if kind in ("bad_signature", "no_signature"):
            assert answer.status_code == 401
        if kind == "huge":
            assert answer.status_code == 413
        if kind == "nested":
            assert answer.status_code == 400

    post()

    # Every kind was tried, and only the well-formed, correctly signed bodies published.
    assert set(outcomes) >= {"bad_signature", "no_signature", "valid_event", "huge", "nested"}
    assert _drain(sqs, probe) == published_expected
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024
    assert grown_mb < 300, f"peak memory grew by {grown_mb:.0f} MB"
