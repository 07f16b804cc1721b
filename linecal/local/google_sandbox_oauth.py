"""Google's OAuth2 authorization server in miniature, for the Google sandbox.

Authorization codes (with PKCE), grants, refresh and access tokens, revocation. No HTTP
here: `sandbox_google` maps requests onto `TokenAuthority` and its `OAuthError`s onto
Google's error answers. Not thread-safe by itself; the sandbox holds its lock around calls.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]

AUTHORIZATION_CODE_TTL_SECONDS = 600.0
DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3599.0
CALENDAR_READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
EMAIL_SCOPES = frozenset({"email", "https://www.googleapis.com/auth/userinfo.email"})
EXPIRED_OR_REVOKED = "Token has been expired or revoked."


class OAuthError(Exception):
    """An OAuth2 error answer: HTTP status plus RFC 6749 `error` and `error_description`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.body: JsonObject = {"error": error, "error_description": description}


@dataclass
class Grant:
    """What a user approved for a client; refresh and access tokens hang off it."""

    email: str
    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str | None
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class AccessToken:
    grant: Grant
    expires_at: float


@dataclass(frozen=True)
class _PendingCode:
    email: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    code_challenge_method: str
    offline: bool
    expires_at: float


class TokenAuthority:
    """Issues and checks codes and tokens for one OAuth client."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float],
        access_token_ttl_seconds: float = DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self.access_token_ttl_seconds = access_token_ttl_seconds
        self._codes: dict[str, _PendingCode] = {}
        self._grants_by_refresh_token: dict[str, Grant] = {}
        self._access_tokens: dict[str, AccessToken] = {}
        self._grants: list[Grant] = []

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> None:
        if client_id != self.client_id or client_secret != self._client_secret:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")

    def issue_code(
        self,
        email: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
        code_challenge_method: str,
        offline: bool,
    ) -> str:
        code = "4/0" + secrets.token_urlsafe(32)
        self._codes[code] = _PendingCode(
            email,
            redirect_uri,
            tuple(scope.split()),
            code_challenge,
            code_challenge_method,
            offline,
            self._clock() + AUTHORIZATION_CODE_TTL_SECONDS,
        )
        return code

    def exchange_code(
        self, code: str | None, redirect_uri: str | None, code_verifier: str | None
    ) -> JsonObject:
        """The token answer for an authorization code; each code works once."""
        pending = self._codes.pop(code or "", None)
        if pending is None or self._clock() >= pending.expires_at:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if redirect_uri != pending.redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if pending.code_challenge is not None:
            if not code_verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            if _code_challenge(code_verifier, pending.code_challenge_method) != (
                pending.code_challenge
            ):
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        refresh_token = "1//sandbox-" + secrets.token_urlsafe(32) if pending.offline else None
        grant = self._new_grant(pending.email, pending.scopes, refresh_token)
        answer = self._access_answer(grant, grant.scopes)
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token
        if "openid" in grant.scopes:
            answer["id_token"] = self._id_token(grant)
        return answer

    def grant_offline_access(self, email: str, scope: str) -> JsonObject:
        """A grant as if the user had consented, skipping the browser (sandbox door)."""
        refresh_token = "1//sandbox-" + secrets.token_urlsafe(32)
        grant = self._new_grant(email, tuple(scope.split()), refresh_token)
        return {**self._access_answer(grant, grant.scopes), "refresh_token": refresh_token}

    def refresh(self, refresh_token: str | None, requested_scope: str | None) -> JsonObject:
        grant = self._grants_by_refresh_token.get(refresh_token or "")
        if grant is None or grant.revoked:
            raise OAuthError(400, "invalid_grant", EXPIRED_OR_REVOKED)
        scopes = tuple(requested_scope.split()) if requested_scope else grant.scopes
        if not set(scopes) <= set(grant.scopes):
            raise OAuthError(400, "invalid_scope", "Some requested scopes were invalid.")
        return self._access_answer(grant, scopes)

    def revoke_token(self, token: str | None) -> None:
        """Revoke the grant behind an access or refresh token, as Google's /revoke does."""
        grant = self._grants_by_refresh_token.get(token or "")
        access = self._access_tokens.get(token or "")
        if grant is None and access is not None:
            grant = access.grant
        if grant is None or grant.revoked:
            raise OAuthError(400, "invalid_token", "Token expired or revoked")
        self._revoke(grant)

    def revoke_account(self, email: str) -> int:
        """Revoke every grant a user gave; the number revoked."""
        live = [grant for grant in self._grants if grant.email == email and not grant.revoked]
        for grant in live:
            self._revoke(grant)
        return len(live)

    def access_token(self, token: str) -> AccessToken | None:
        """The live access token, or None when it is unknown, expired or revoked."""
        access = self._access_tokens.get(token)
        if access is None or access.grant.revoked or self._clock() >= access.expires_at:
            return None
        return access

    def _new_grant(self, email: str, scopes: tuple[str, ...], refresh_token: str | None) -> Grant:
        grant = Grant(email, self.client_id, scopes, refresh_token)
        self._grants.append(grant)
        if refresh_token is not None:
            self._grants_by_refresh_token[refresh_token] = grant
        return grant

    def _access_answer(self, grant: Grant, scopes: tuple[str, ...]) -> JsonObject:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        self._access_tokens[token] = AccessToken(
            grant, self._clock() + self.access_token_ttl_seconds
        )
        grant.access_tokens.add(token)
        return {
            "access_token": token,
            "expires_in": int(self.access_token_ttl_seconds),
            # NOTE: the scopes come back exactly as requested; oauthlib warns when they differ.
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

    def _revoke(self, grant: Grant) -> None:
        grant.revoked = True
        for token in grant.access_tokens:
            self._access_tokens.pop(token, None)
        grant.access_tokens.clear()

    def _id_token(self, grant: Grant) -> str:
        # NOTE: shaped like Google's JWT but not signed; it is for reading claims locally,
        # not for verify_oauth2_token, which needs Google's keys.
        now = int(self._clock())
        claims: JsonObject = {
            "iss": "https://accounts.google.com",
            "aud": grant.client_id,
            "sub": str(int(hashlib.sha256(grant.email.encode()).hexdigest()[:15], 16)),
            "iat": now,
            "exp": now + 3600,
        }
        if EMAIL_SCOPES & set(grant.scopes):
            claims.update(email=grant.email, email_verified=True)
        header = {"alg": "RS256", "kid": "sandbox", "typ": "JWT"}
        return ".".join(
            [_base64url(json.dumps(header)), _base64url(json.dumps(claims)), "c2FuZGJveA"]
        )


def _code_challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    return _base64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _base64url(raw: str | bytes) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
