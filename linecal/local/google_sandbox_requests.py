"""Request parsing and response building for the Google sandbox's WSGI app."""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any, TypeGuard
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from linecal.local import google_sandbox_errors as errors
from linecal.local.google_sandbox_calendar import EventQuery, parse_rfc3339

JsonObject = dict[str, Any]

# Google refuses these next to a syncToken, so a client that sends them would break in production.
PARAMS_EXCLUDED_BY_SYNC_TOKEN = ("timeMin", "timeMax", "orderBy", "q", "iCalUID", "updatedMin")


def event_query(request: Request) -> EventQuery | Response:
    """The events.list parameters that pick events, or Google's 400 for a bad combination."""
    params = request.args
    if "syncToken" in params:
        clashing = [name for name in PARAMS_EXCLUDED_BY_SYNC_TOKEN if name in params]
        if clashing:
            message = f"{clashing[0]} cannot be combined with syncToken"
            return json_response(errors.invalid_parameter(clashing[0], message), 400)
    single_events = params.get("singleEvents") == "true"
    order_by = params.get("orderBy")
    if order_by not in (None, "startTime", "updated"):
        return json_response(errors.invalid_parameter("orderBy"), 400)
    if order_by == "startTime" and not single_events:
        return json_response(
            errors.invalid_parameter(
                "orderBy", "The requested ordering is not available for the particular query."
            ),
            400,
        )
    bounds: dict[str, datetime | None] = {}
    for name in ("timeMin", "timeMax"):
        try:
            bounds[name] = parse_rfc3339(params[name]) if name in params else None
        except ValueError:
            return json_response(errors.invalid_parameter(name, "Bad Request"), 400)
    return EventQuery(
        time_min=bounds["timeMin"],
        time_max=bounds["timeMax"],
        single_events=single_events,
        order_by=order_by,
        # NOTE: a sync feed must report deletions, so Google includes cancelled events then.
        show_deleted=params.get("showDeleted") == "true" or "syncToken" in params,
    )


def max_results(request: Request, limits: tuple[int, int]) -> int | Response:
    """maxResults within (default, maximum), as Google clamps it; 400 if not a number."""
    default, maximum = limits
    raw = request.args.get("maxResults")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        return json_response(errors.invalid_parameter("maxResults"), 400)
    return min(int(raw), maximum)


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def read_json_object(request: Request, allow_empty: bool = False) -> JsonObject | Response:
    raw = request.get_data(as_text=True)
    if allow_empty and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return json_response({"message": "the body must be JSON"}, 400)
    if not isinstance(body, dict):
        return json_response({"message": "the body must be a JSON object"}, 400)
    return body


def redirect_to(redirect_uri: str, params: dict[str, str]) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(params), 302)


def html_error(title: str, detail: str) -> Response:
    page = (
        f"<!doctype html><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
    )
    return Response(page, 400, mimetype="text/html")


def json_response(body: object, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
