"""Linking a LINE user to their Google account: starting consent, finishing it, losing it.

Pure decisions over ports; the adapters (SessionsTable, google-auth-oauthlib, the token
store, the bus, LINE) live in `services.command.linking` and the composition root.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from shared.events import DomainEvent, GoogleAccessRevoked, GoogleAccountLinked, Language
from shared.messages import OutgoingMessage, retry_key_for

# How long a consent link stays usable; also the life of its `state`.
LINK_TTL = timedelta(minutes=10)
# The status of a stored link that still works (see shared.repositories.oauth_tokens).
LINK_ACTIVE = "linked"

LINK_PROMPT = {
    "ja": (
        "下のリンクから Google にログインし、カレンダーの閲覧を許可してください"
        "（リンクは10分間有効です）。\n{url}"
    ),
    "en": (
        "Open this link, sign in to Google and allow read access to your calendars "
        "(the link works for 10 minutes).\n{url}"
    ),
}
LINKED = {
    "ja": "Google カレンダーと連携しました。メインのカレンダーを通知に登録します。",
    "en": "Your Google Calendar is linked. Your primary calendar is being added now.",
}
DENIED = {
    "ja": "Google との連携はキャンセルされました。いつでも「連携」と送ってやり直せます。",
    "en": 'Linking Google was cancelled. Send "link" whenever you want to try again.',
}
RELINK_NEEDED = (
    "Google カレンダーへのアクセスが取り消されたため、予定を読めなくなりました。"
    "「連携」と送ってもう一度連携してください。\n"
    "Access to your Google Calendar was revoked, so I can no longer read it. "
    'Send "link" to connect it again.'
)


@dataclass(frozen=True)
class PendingLink:
    """What is kept under a consent link's `state` until Google sends the user back."""

    user_id: str
    code_verifier: str
    language: Language


class LinkStates(Protocol):
    """Short-lived storage of pending links, each usable once."""

    def remember(self, state: str, link: PendingLink, ttl: timedelta) -> None:
        """Keep `link` under `state` for `ttl`."""
        ...

    def take(self, state: str) -> PendingLink | None:
        """The pending link, removed as it is read; None if unknown, expired or taken."""
        ...


class CodeExchangeFailed(Exception):
    """Google would not turn the authorization code into tokens."""


class GoogleConsent(Protocol):
    """Google's OAuth2 authorization-code flow with PKCE."""

    def consent_url(self, state: str) -> tuple[str, str]:
        """The consent page URL for `state`, and the PKCE code verifier to keep for it."""
        ...

    def exchange(self, code: str, code_verifier: str) -> str | None:
        """The refresh token the code is worth (None if Google sent none).

        Raises `CodeExchangeFailed`.
        """
        ...


class GoogleGrants(Protocol):
    """The users' stored refresh tokens."""

    def store(self, user_id: str, refresh_token: str) -> None: ...

    def is_linked(self, user_id: str) -> bool: ...


class EventSink(Protocol):
    def publish(self, *events: DomainEvent) -> None: ...


class UserNotices(Protocol):
    """Pushes to a user; a resend with the same retry key is delivered once."""

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None: ...


class LinkOutcome(StrEnum):
    LINKED = "linked"
    DENIED = "denied"
    INVALID_STATE = "invalid_state"
    FAILED = "failed"


@dataclass(frozen=True)
class GoogleCallback:
    """The query Google sends the user back with."""

    state: str | None = None
    code: str | None = None
    error: str | None = None


def start_linking(
    user_id: str, language: Language, consent: GoogleConsent, states: LinkStates
) -> OutgoingMessage:
    """A consent link bound to this user by a fresh random `state`."""
    state = secrets.token_urlsafe(32)
    url, code_verifier = consent.consent_url(state)
    states.remember(state, PendingLink(user_id, code_verifier, language), LINK_TTL)
    return OutgoingMessage(LINK_PROMPT[language].format(url=url))


def finish_linking(
    callback: GoogleCallback,
    states: LinkStates,
    consent: GoogleConsent,
    grants: GoogleGrants,
    events: EventSink,
    notices: UserNotices,
) -> LinkOutcome:
    """Complete a consent: keep the refresh token, announce the link, tell the user."""
    pending = states.take(callback.state) if callback.state else None
    if pending is None:
        return LinkOutcome.INVALID_STATE

    if callback.error:
        # The state is now spent, so this runs once per consent link: a fresh key will do.
        notices.push(
            pending.user_id, [OutgoingMessage(DENIED[pending.language])], str(uuid.uuid4())
        )
        return LinkOutcome.DENIED
    if not callback.code:
        return LinkOutcome.FAILED

    try:
        refresh_token = consent.exchange(callback.code, pending.code_verifier)
    except CodeExchangeFailed:
        return LinkOutcome.FAILED

    if refresh_token:
        grants.store(pending.user_id, refresh_token)
    elif not grants.is_linked(pending.user_id):
        # Without a refresh token there is nothing to read calendars with; one kept from
        # an earlier link is never overwritten by an answer that lacks it.
        return LinkOutcome.FAILED

    linked = GoogleAccountLinked(user_id=pending.user_id)
    events.publish(linked)
    notices.push(
        pending.user_id,
        [OutgoingMessage(LINKED[pending.language])],
        retry_key_for("linked", linked.event_id),
    )
    return LinkOutcome.LINKED


class KeptLink(Protocol):
    """What is known of a stored link without decrypting its token."""

    @property
    def status(self) -> str: ...

    @property
    def linked_at(self) -> str: ...


class RevocationMarks(Protocol):
    def status(self, user_id: str) -> KeptLink | None: ...

    def mark_revoked(self, user_id: str) -> bool:
        """Mark the link revoked; True only the first time."""
        ...


def note_access_revoked(
    event: GoogleAccessRevoked, grants: RevocationMarks, notices: UserNotices
) -> bool:
    """Ask the user to link again, once per lost link; True when the link was marked now.

    Several services may report the same loss. The notice is keyed on the link (its
    `linked_at`), not on the report, and pushed before the link is marked, so reports
    racing each other or a failure in between still give the user one message.
    """
    kept = grants.status(event.user_id)
    if kept is None or kept.status != LINK_ACTIVE:
        return False
    notices.push(
        event.user_id,
        [OutgoingMessage(RELINK_NEEDED)],
        retry_key_for("relink", event.user_id, kept.linked_at),
    )
    return grants.mark_revoked(event.user_id)
