"""The webhook through the local stack's HTTP door: 200, 401, 400, and what is published."""

from __future__ import annotations

import time

import boto3
import pytest
import requests

from linecal.local.embedded import EmbeddedStack
from tests.fixture_files import LINE_BODIES, line_body, line_channel_secret, line_signature
from tests.lines import signed


def _post(stack: EmbeddedStack, body: bytes, signature: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return requests.post(f"{stack.base_url}/line/webhook", data=body, headers=headers, timeout=10)


def _pushes_to(stack: EmbeddedStack, user_id: str, at_least: int, wait: float = 10) -> list:
    deadline = time.monotonic() + wait
    while True:
        records = requests.get(
            f"{stack.base_url}/sandbox/line/messages", params={"to": user_id}, timeout=5
        ).json()
        if len(records) >= at_least or time.monotonic() > deadline:
            return list(records)
        time.sleep(0.2)


@pytest.mark.parametrize("name", LINE_BODIES)
def test_captured_bodies_get_200(local_stack: EmbeddedStack, name: str) -> None:
    answer = _post(local_stack, line_body(name), line_signature(name))

    assert answer.status_code == 200


@pytest.mark.parametrize("name", ["text_help_en", "follow", "two_events_one_body"])
def test_one_changed_byte_gets_401(local_stack: EmbeddedStack, name: str) -> None:
    body = bytearray(line_body(name))
    body[10] ^= 0x01

    answer = _post(local_stack, bytes(body), line_signature(name))

    assert answer.status_code == 401


def test_missing_signature_gets_401(local_stack: EmbeddedStack) -> None:
    assert _post(local_stack, line_body("text_help_en"), None).status_code == 401


def test_signed_malformed_body_gets_400(local_stack: EmbeddedStack) -> None:
    body = b'{"destination":"U0","events":'

    assert _post(local_stack, body, signed(body, line_channel_secret())).status_code == 400


def test_bad_requests_publish_nothing(local_stack: EmbeddedStack) -> None:
    # GIVEN a queue that receives a copy of every bus event
    assert local_stack.stack is not None
    sqs = boto3.client("sqs")
    events = boto3.client("events")
    probe = sqs.create_queue(QueueName="probe-bad-requests")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=probe, AttributeNames=["QueueArn"])
    bus = local_stack.stack.resources["EventBus"]
    # Only what the webhook publishes: the worker publishes too, later, for earlier tests.
    events.put_rule(
        Name="probe-all",
        EventBusName=bus,
        EventPattern='{"detail-type":[{"prefix":"Line"}]}',
    )
    events.put_targets(
        Rule="probe-all",
        EventBusName=bus,
        Targets=[{"Id": "probe", "Arn": arn["Attributes"]["QueueArn"]}],
    )

    # WHEN bodies with bad signatures and a signed malformed body arrive
    bad = bytearray(line_body("text_help_en"))
    bad[20] ^= 0x01
    _post(local_stack, bytes(bad), line_signature("text_help_en"))
    _post(local_stack, line_body("text_help_en"), None)
    _post(local_stack, b"{oops", signed(b"{oops", line_channel_secret()))

    # THEN nothing reached the bus; a good body afterwards does
    received = sqs.receive_message(QueueUrl=probe, WaitTimeSeconds=1, MaxNumberOfMessages=10)
    assert received.get("Messages", []) == []
    _post(local_stack, line_body("follow"), line_signature("follow"))
    received = sqs.receive_message(QueueUrl=probe, WaitTimeSeconds=2, MaxNumberOfMessages=10)
    assert len(received.get("Messages", [])) == 1


def test_a_captured_event_is_answered_once_by_push_however_often_it_arrives(
    local_stack: EmbeddedStack,
) -> None:
    # GIVEN the captured "help" body, whose reply token LINE (the sandbox) never issued
    user = "U4af4980629000000000000000000000a"

    # WHEN LINE delivers it three times
    for _ in range(3):
        _post(local_stack, line_body("text_help_en"), line_signature("text_help_en"))

    # THEN the user got the help exactly once, by push (the reply token was refused)
    time.sleep(3)
    records = _pushes_to(local_stack, user, 1)
    helps = [r for r in records if r["messages"][0]["text"].startswith("How to use")]
    assert [r["via"] for r in helps] == ["push"]
