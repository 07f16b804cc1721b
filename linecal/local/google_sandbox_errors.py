"""Google's error bodies, in the shapes captured in tests/fixtures/google/, for the sandbox."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def google_error(
    status: int,
    message: str,
    reason: str,
    domain: str = "global",
    api_status: str | None = None,
    **detail: str,
) -> JsonObject:
    """A Google API error body: `{"error": {"code", "message", "errors": [...]}}`."""
    error: JsonObject = {
        "code": status,
        "message": message,
        "errors": [{"domain": domain, "reason": reason, "message": message, **detail}],
    }
    if api_status is not None:
        error["status"] = api_status
    return {"error": error}


def unauthenticated() -> JsonObject:
    return google_error(
        401,
        UNAUTHENTICATED_MESSAGE,
        "authError",
        api_status="UNAUTHENTICATED",
        location="Authorization",
        locationType="header",
    )


def insufficient_scope() -> JsonObject:
    return google_error(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        api_status="PERMISSION_DENIED",
    )


def not_found() -> JsonObject:
    return google_error(404, "Not Found", "notFound")


def full_sync_required() -> JsonObject:
    return google_error(
        410,
        "Sync token is no longer valid, a full sync is required.",
        "fullSyncRequired",
        domain="calendar",
    )


def invalid_parameter(parameter: str, message: str = "Invalid Value") -> JsonObject:
    return google_error(400, message, "invalid", location=parameter, locationType="parameter")


def default_api_fault(status: int) -> JsonObject:
    """The body Google sends with `status` on a Calendar call, for injected faults."""
    known = {
        400: google_error(400, "Bad Request", "badRequest"),
        401: unauthenticated(),
        403: google_error(403, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits"),
        404: not_found(),
        410: full_sync_required(),
        429: google_error(
            429,
            "Calendar usage limits exceeded.",
            "rateLimitExceeded",
            domain="usageLimits",
            api_status="RESOURCE_EXHAUSTED",
        ),
        500: google_error(500, "Backend Error", "backendError"),
        503: google_error(
            503, "The service is currently unavailable.", "backendError", api_status="UNAVAILABLE"
        ),
    }
    return known.get(status) or google_error(status, "Sandbox fault", "sandboxFault")


def default_token_fault(status: int) -> JsonObject:
    """The body Google's token endpoint sends with `status`, for injected faults."""
    if status == 400:
        return {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    if status == 401:
        return {"error": "invalid_client", "error_description": "The OAuth client was not found."}
    return {"error": "internal_failure", "error_description": "Backend Error"}
