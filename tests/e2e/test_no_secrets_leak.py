"""A scripted session with every log line, event and error page captured: no secret,
token, OAuth code or state, and no message text of the user's, may appear in any of them."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from linecal.target import StackTarget, find_target
from shared.repositories.oauth_tokens import OAuthTokens
from tests.e2e.conftest import run_linecal, running_stack

pytestmark = pytest.mark.e2e

SECRETS = {
    "LINE_CHANNEL_SECRET": "leakcheck-channel-secret-5d1f0e",
    "LINE_CHANNEL_ACCESS_TOKEN": "leakcheck-access-token-77aa21",
    "GOOGLE_CLIENT_SECRET": "leakcheck-client-secret-31c9b4",
}
PRIVATE_TEXT = "ひみつの合言葉 zebra-quartz-917"
USER = "Uleakcheck" + "0" * 22


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("leak") / "local-up.log"
    with running_stack(log, SECRETS) as url:
        yield url, log


def chat(url: str, text: str) -> str:
    result = run_linecal("chat", "--url", url, "--user", USER, text, environment=SECRETS)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def catch_all_events(target: StackTarget) -> str:
    """A queue that receives a copy of every event on the bus; returns its URL."""
    sqs = target.client("sqs")
    queue = sqs.create_queue(QueueName="leak-probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    events = target.client("events")
    bus = target.resource("EventBus")
    events.put_rule(
        Name="leak-probe", EventBusName=bus, EventPattern='{"source":[{"prefix":"linecal."}]}'
    )
    events.put_targets(
        Rule="leak-probe",
        EventBusName=bus,
        Targets=[{"Id": "probe", "Arn": arn["Attributes"]["QueueArn"]}],
    )
    return str(queue)


def drain(target: StackTarget, queue: str) -> list[str]:
    sqs = target.client("sqs")
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages: list[dict[str, Any]] = got.get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(m["Body"] for m in messages)
        for message in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the services did not catch up")
        time.sleep(0.5)


def test_a_whole_session_leaks_nothing(stack: tuple[str, Path]) -> None:
    url, log = stack
    target = find_target(url)
    probe = catch_all_events(target)
    pages: list[str] = []

    # GIVEN a user who talks to the bot, including something private
    chat(url, "help")
    chat(url, PRIVATE_TEXT)

    # WHEN they link Google, following the consent link by hand to see the code and state
    consent = re.search(r"http://\S+", chat(url, "連携"))
    assert consent, "no consent link"
    redirect = requests.get(consent.group(0), allow_redirects=False, timeout=10)
    callback = redirect.headers["Location"]
    query = dict(re.findall(r"[?&](code|state)=([^&]+)", callback))
    page = requests.get(callback, timeout=10)
    assert page.status_code == 200
    pages.append(page.text)

    # AND someone replays the callback, and sends a forged one
    pages.append(requests.get(callback, timeout=10).text)
    forged = {
        "state": "forged-state-" + uuid.uuid4().hex,
        "code": "forged-code-" + uuid.uuid4().hex,
    }
    pages.append(requests.get(f"{url}/oauth/google/callback", params=forged, timeout=10).text)

    # AND they use the bot, and the operator runs the digest
    wait_for(lambda: "メイン" in chat(url, "カレンダー一覧"))
    chat(url, "カレンダー追加 Family")
    chat(url, "今日の予定")
    chat(url, "通知時刻 07:30")
    time.sleep(2)
    digest = run_linecal(
        "notify", "digest", "--url", url, "--at", "2026-12-04T07:30:00+09:00",
        environment=SECRETS,
    )  # fmt: skip
    assert digest.returncode == 0, digest.stdout + digest.stderr
    time.sleep(2)

    # THEN nothing secret or private is in the logs, the events or the pages
    tokens = OAuthTokens(
        target.resource("OAuthTokensTable"),
        target.resource("TokenKey"),
        dynamodb=target.client("dynamodb"),
        kms=target.client("kms"),
    )
    grant = tokens.load(USER)
    assert grant is not None
    forbidden = {
        **SECRETS,
        "refresh token": grant.refresh_token,
        "OAuth code": query["code"],
        "OAuth state": query["state"],
        "forged code": forged["code"],
        "forged state": forged["state"],
        "the user's message": PRIVATE_TEXT,
        "part of the user's message": "zebra-quartz-917",
    }
    places = {
        "logs": log.read_text(encoding="utf-8", errors="replace"),
        "events": "\n".join(drain(target, probe)),
        "pages": "\n".join(pages),
        "CLI output": digest.stdout + digest.stderr,
    }
    assert "webhook accepted" in places["logs"], "the logs were not captured"
    assert "GoogleAccountLinked" in places["events"], "the events were not captured"
    leaks = [
        f"{what} in {where}"
        for what, value in forbidden.items()
        for where, text in places.items()
        if value in text
    ]
    assert leaks == []
