"""The webhook Lambda handler: 200 once published, 500 (so LINE redelivers) when not."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.command import webhook
from services.command.line_webhook import LineWebhookReader
from shared.events import DomainEvent
from shared.publisher import PublishFailed
from tests.fixture_files import line_body, line_channel_secret, line_signature


@dataclass
class FakePublisher:
    fail: bool = False
    published: list[DomainEvent] = field(default_factory=list)

    def publish(self, *events: DomainEvent) -> None:
        if self.fail:
            raise PublishFailed(list(events), ["InternalFailure"])
        self.published.extend(events)


@dataclass
class FakeService:
    publisher: FakePublisher
    webhook_reader: LineWebhookReader = field(
        default_factory=lambda: LineWebhookReader(line_channel_secret())
    )


class Context:
    function_name = "webhook"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:webhook"
    aws_request_id = "request-1"


def http_event(name: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "POST /line/webhook",
        "rawPath": "/line/webhook",
        "rawQueryString": "",
        "headers": {"x-line-signature": line_signature(name)},
        "requestContext": {
            "http": {"method": "POST", "path": "/line/webhook", "sourceIp": "203.0.113.1"},
            "requestId": "r1",
            "stage": "$default",
        },
        "body": base64.b64encode(line_body(name)).decode(),
        "isBase64Encoded": True,
    }


def call(monkeypatch: pytest.MonkeyPatch, name: str, publisher: FakePublisher) -> int:
    monkeypatch.setattr(webhook, "bootstrap", lambda: FakeService(publisher))
    return int(webhook.lambda_handler(http_event(name), Context())["statusCode"])  # type: ignore[arg-type]


def test_every_event_of_a_body_is_published(monkeypatch: pytest.MonkeyPatch) -> None:
    publisher = FakePublisher()

    assert call(monkeypatch, "two_events_one_body", publisher) == 200
    assert len(publisher.published) == 2


def test_the_consoles_verify_request_gets_200_and_publishes_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    publisher = FakePublisher()

    assert call(monkeypatch, "verify_empty_events", publisher) == 200
    assert publisher.published == []
    assert "webhook accepted" in [r.getMessage() for r in caplog.records]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_failed_publish_answers_500_so_line_redelivers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert call(monkeypatch, "text_help_en", FakePublisher(fail=True)) == 500
