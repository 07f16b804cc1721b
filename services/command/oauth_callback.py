"""Lambda entry point: GET /oauth/google/callback, where Google sends the user back."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="command")
app = APIGatewayHttpResolver()

NOT_READY_PAGE = (
    "<!doctype html><meta charset='utf-8'><title>linecal</title>"
    "<p>Google との連携はまだ準備中です。</p><p>Linking Google is not available yet.</p>"
)


@app.get("/oauth/google/callback")
def google_callback() -> Response[str]:
    # TODO(#4): exchange the code, store the refresh token and publish GoogleAccountLinked.
    return Response(status_code=501, content_type=content_types.TEXT_HTML, body=NOT_READY_PAGE)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
