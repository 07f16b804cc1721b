"""Lambda entry point: POST /line/webhook. Verify, publish each LINE event, answer 200."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from services.command.bootstrap import bootstrap
from services.command.line_webhook import MalformedBody, SignatureMismatch
from shared.publisher import PublishFailed

# LINE's bodies are small; anything this large is not from LINE and is refused unread.
MAX_BODY_BYTES = 1_000_000

logger = Logger(service="command")
app = APIGatewayHttpResolver()


def _answer(status: int, message: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=f'{{"message":"{message}"}}',
    )


def _raw_body() -> bytes:
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


@app.post("/line/webhook")
def receive_line_webhook() -> Response[str]:
    body = _raw_body()
    if len(body) > MAX_BODY_BYTES:
        return _answer(413, "body too large")

    signature = app.current_event.headers.get("x-line-signature")
    try:
        batch = bootstrap().webhook_reader.read(body, signature)
    except SignatureMismatch:
        logger.warning("webhook signature mismatch", signed=bool(signature))
        return _answer(401, "invalid signature")
    except MalformedBody as exc:
        logger.warning("webhook body malformed", reason=str(exc))
        return _answer(400, "malformed body")

    try:
        bootstrap().publisher.publish(*batch.events)
    except (PublishFailed, ClientError) as exc:
        # With redelivery on in the LINE console, LINE sends the body again; the worker
        # drops any event of it that was published this time.
        logger.error("webhook events not published", reason=type(exc).__name__)
        return _answer(500, "try again")
    logger.info("webhook accepted", published=len(batch.events), ignored=batch.ignored)
    return _answer(200, "ok")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
