"""One local HTTP port for everything: the functions' routes and the sandboxes.

Requests to a route in the template are turned into API Gateway HTTP API (payload 2.0)
events and handed to the function; `/sandbox/line/...` and `/sandbox/google/...` go to
the stand-ins for LINE and Google; `GET /sandbox/stack` tells tools where this stack is.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from linecal.local.runtime import FunctionInvoker
from linecal.local.stack import LocalFunction

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("linecal.local")


def http_api_event(request: Request, route_key: str) -> dict[str, Any]:
    """The event API Gateway's HTTP API sends a function for this request."""
    raw = request.get_data(cache=True)
    try:
        body, encoded = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(raw).decode("ascii"), True

    query: dict[str, str] = {k: ",".join(request.args.getlist(k)) for k in request.args}
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body or None,
        "isBase64Encoded": encoded,
    }


def http_response(result: Mapping[str, Any]) -> Response:
    """API Gateway's reading of a function's (payload 2.0) answer."""
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = Response(data, status=int(result.get("statusCode", 200)))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


class LocalGateway:
    """The WSGI app behind `linecal local up`."""

    def __init__(
        self,
        invoker: FunctionInvoker,
        functions: Iterable[LocalFunction],
        sandboxes: Mapping[str, WSGIApplication],
        stack_description: Mapping[str, Any],
    ) -> None:
        self._invoker = invoker
        self._routes = {
            (route.method.upper(), route.path): function
            for function in functions
            for route in function.http_routes
        }
        # Longest prefix first so that no prefix shadows a longer one.
        self._sandboxes = sorted(sandboxes.items(), key=lambda kv: -len(kv[0]))
        self._stack_description = dict(stack_description)

    def routes(self) -> list[tuple[str, str]]:
        return sorted(self._routes)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        for prefix, app in self._sandboxes:
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :]
                return app(environ, start_response)

        request = Request(environ)
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/sandbox/stack":
            return Response(json.dumps(self._stack_description), mimetype="application/json")
        if request.path == "/sandbox/health":
            return Response('{"status":"ok"}', mimetype="application/json")

        function = self._routes.get((request.method, request.path))
        if function is None:
            return Response('{"message":"Not Found"}', status=404, mimetype="application/json")

        event = http_api_event(request, f"{request.method} {request.path}")
        try:
            result = self._invoker.invoke(function, event)
        except Exception:
            # What API Gateway answers when the function fails: no detail leaks out.
            log.exception("%s failed", function.logical_id)
            return Response(
                '{"message":"Internal Server Error"}', status=500, mimetype="application/json"
            )
        return http_response(result)
