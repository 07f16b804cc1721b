"""Lambda entry point: GET /oauth/google/callback, where Google sends the user back.

The query carries the authorization code and the state: neither is ever logged or shown.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.command.bootstrap import bootstrap
from services.command.domain.linking import GoogleCallback, LinkOutcome, finish_linking

logger = Logger(service="command")
app = APIGatewayHttpResolver()

_PAGES: dict[LinkOutcome, tuple[int, str, str]] = {
    LinkOutcome.LINKED: (
        200,
        "Google カレンダーと連携しました。LINE に戻ってください。",
        "Your Google Calendar is linked. You can go back to LINE.",
    ),
    LinkOutcome.DENIED: (
        200,
        "連携はキャンセルされました。やり直すには LINE で「連携」と送ってください。",
        'Linking was cancelled. To try again, send "link" on LINE.',
    ),
    LinkOutcome.INVALID_STATE: (
        400,
        "このリンクは無効か、期限切れか、使用済みです。LINE で「連携」と送って"
        "新しいリンクを受け取ってください。",
        'This link is invalid, expired or already used. Send "link" on LINE for a new one.',
    ),
    LinkOutcome.FAILED: (
        502,
        "Google との連携を完了できませんでした。LINE で「連携」と送ってもう一度お試しください。",
        'Google did not complete the link. Send "link" on LINE to try again.',
    ),
}


def _page(outcome: LinkOutcome) -> Response[str]:
    status, japanese, english = _PAGES[outcome]
    body = (
        "<!doctype html><html lang='ja'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>linecal</title><p>{japanese}</p><p lang='en'>{english}</p></html>"
    )
    return Response(
        status_code=status,
        content_type=f"{content_types.TEXT_HTML}; charset=utf-8",
        body=body,
        # The URL holds the code and the state: keep it out of caches and Referer headers.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@app.get("/oauth/google/callback")
def google_callback() -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    callback = GoogleCallback(
        state=query.get("state"), code=query.get("code"), error=query.get("error")
    )
    service = bootstrap()
    outcome = finish_linking(
        callback,
        service.link_states,
        service.google_consent,
        service.tokens,
        service.publisher,
        service.link_page_notices,
    )
    logger.info("google callback", outcome=outcome.value)
    return _page(outcome)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
