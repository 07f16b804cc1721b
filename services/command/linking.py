"""Adapters for linking Google: consent links (google-auth-oauthlib) and their states.

The states live in SessionsTable, which the command service owns, keyed by a hash of the
state so a table dump holds nothing that Google would accept.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
import requests
from aws_lambda_powertools import Logger
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2 import OAuth2Error

from services.command.domain.linking import (
    CodeExchangeFailed,
    GoogleConsent,
    LinkStates,
    PendingLink,
    UserNotices,
    start_linking,
)
from shared.config import GoogleSettings
from shared.events import Language
from shared.google_calendar import CALENDAR_READONLY_SCOPE
from shared.line_messaging import LineError
from shared.messages import OutgoingMessage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

logger = Logger(service="command", child=True)

CALLBACK_PATH = "/oauth/google/callback"
_STATE_KEY_PREFIX = "oauth-state#"


class OAuthStateTable:
    """Pending consent links in SessionsTable, each taken at most once."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        clock: Any = time.time,
    ) -> None:
        self._table_name = table_name
        self._client = client or boto3.client("dynamodb")
        self._clock = clock

    @staticmethod
    def _key(state: str) -> dict[str, Any]:
        digest = hashlib.sha256(state.encode("utf-8")).hexdigest()
        return {"sessionKey": {"S": _STATE_KEY_PREFIX + digest}}

    def remember(self, state: str, link: PendingLink, ttl: timedelta) -> None:
        self._client.put_item(
            TableName=self._table_name,
            Item={
                **self._key(state),
                "userId": {"S": link.user_id},
                "codeVerifier": {"S": link.code_verifier},
                "language": {"S": link.language},
                # DynamoDB's TTL removes it eventually; `take` enforces the deadline itself.
                "expiresAt": {"N": str(int(self._clock() + ttl.total_seconds()))},
            },
        )

    def take(self, state: str) -> PendingLink | None:
        # Deleting and reading in one call makes a second use of the state find nothing.
        old = self._client.delete_item(
            TableName=self._table_name, Key=self._key(state), ReturnValues="ALL_OLD"
        ).get("Attributes")
        if not old or int(old["expiresAt"]["N"]) <= self._clock():
            return None
        language: Language = "en" if old.get("language", {}).get("S") == "en" else "ja"
        return PendingLink(old["userId"]["S"], old["codeVerifier"]["S"], language)


class GoogleOAuthFlow:
    """Google's authorization-code flow with PKCE, offline access and forced consent."""

    def __init__(self, settings: GoogleSettings, public_base_url: str) -> None:
        self._settings = settings
        self._redirect_uri = public_base_url.rstrip("/") + CALLBACK_PATH

    def _flow(self, client_secret: str, code_verifier: str | None = None) -> Flow:
        config = {
            "web": {
                "client_id": self._settings.google_client_id,
                "client_secret": client_secret,
                "auth_uri": self._settings.google_auth_uri,
                "token_uri": self._settings.google_token_uri,
                "redirect_uris": [self._redirect_uri],
            }
        }
        return Flow.from_client_config(
            config,
            scopes=[CALENDAR_READONLY_SCOPE],
            redirect_uri=self._redirect_uri,
            code_verifier=code_verifier,
            autogenerate_code_verifier=True,
        )

    def consent_url(self, state: str) -> tuple[str, str]:
        # Building the URL needs no secret: the worker answering "link" never reads it.
        flow = self._flow(client_secret="")
        url, _ = flow.authorization_url(
            state=state,
            access_type="offline",
            # Forces the consent screen, so Google sends a refresh token even on a relink.
            prompt="consent",
        )
        return str(url), str(flow.code_verifier)

    def exchange(self, code: str, code_verifier: str) -> str | None:
        flow = self._flow(self._settings.client_secret(), code_verifier)
        try:
            token = flow.fetch_token(code=code)
        except (OAuth2Error, requests.RequestException, ValueError, Warning) as exc:
            # oauthlib raises a Warning when the granted scope differs from the one asked,
            # e.g. the user unticked calendar access: there is nothing to link then.
            raise CodeExchangeFailed(type(exc).__name__) from None
        refresh_token = token.get("refresh_token")
        return str(refresh_token) if refresh_token else None


class GoogleAccountLinking:
    """The command service's way to start a link (the conversation's `AccountLinking`)."""

    def __init__(self, consent: GoogleConsent, states: LinkStates) -> None:
        self._consent = consent
        self._states = states

    def consent_message(self, user_id: str, language: Language) -> OutgoingMessage:
        return start_linking(user_id, language, self._consent, self._states)


class LinkPageNotices:
    """Pushes sent while the user looks at the callback page.

    The link itself has worked by then, so a LINE failure is logged rather than turned
    into an error page.
    """

    def __init__(self, notices: UserNotices) -> None:
        self._notices = notices

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None:
        try:
            self._notices.push(user_id, messages, retry_key)
        except LineError as exc:
            logger.warning("link notice not sent", reason=type(exc).__name__, status=exc.status)
