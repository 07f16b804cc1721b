"""Linking Google from the chat: the consent link, the callback's decisions, revocation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from services.command.domain.linking import (
    CodeExchangeFailed,
    GoogleCallback,
    LinkOutcome,
    PendingLink,
    finish_linking,
    note_access_revoked,
)
from services.command.linking import GoogleAccountLinking, GoogleOAuthFlow
from shared.config import GoogleSettings
from shared.events import DomainEvent, GoogleAccessRevoked, GoogleAccountLinked
from shared.messages import OutgoingMessage

USER = "U4af4980629b6fd5d9f3c2f3a5d4e1f7a"
REFRESH_TOKEN = "1//refresh-token-that-must-never-leak"


# ---------------------------------------------------------------- fakes


@dataclass
class FakeStates:
    kept: dict[str, tuple[PendingLink, timedelta]] = field(default_factory=dict)

    def remember(self, state: str, link: PendingLink, ttl: timedelta) -> None:
        self.kept[state] = (link, ttl)

    def take(self, state: str) -> PendingLink | None:
        found = self.kept.pop(state, None)
        return found[0] if found else None


@dataclass
class FakeConsent:
    refresh_token: str | None = REFRESH_TOKEN
    fails: bool = False
    exchanged: list[tuple[str, str]] = field(default_factory=list)

    def consent_url(self, state: str) -> tuple[str, str]:
        return f"https://accounts.example/consent?state={state}", "verifier-" + state[:4]

    def exchange(self, code: str, code_verifier: str) -> str | None:
        self.exchanged.append((code, code_verifier))
        if self.fails:
            raise CodeExchangeFailed("InvalidGrantError")
        return self.refresh_token


@dataclass
class FakeGrants:
    stored: dict[str, str] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    linked_at: str = "2026-01-01T00:00:00+00:00"

    def store(self, user_id: str, refresh_token: str) -> None:
        self.stored[user_id] = refresh_token
        self.revoked.discard(user_id)

    def is_linked(self, user_id: str) -> bool:
        return user_id in self.stored and user_id not in self.revoked

    @dataclass(frozen=True)
    class Kept:
        status: str
        linked_at: str

    def status(self, user_id: str) -> FakeGrants.Kept | None:
        if user_id not in self.stored:
            return None
        status = "revoked" if user_id in self.revoked else "linked"
        return FakeGrants.Kept(status, self.linked_at)

    def mark_revoked(self, user_id: str) -> bool:
        if user_id not in self.stored or user_id in self.revoked:
            return False
        self.revoked.add(user_id)
        return True


@dataclass
class FakeBus:
    published: list[DomainEvent] = field(default_factory=list)

    def publish(self, *events: DomainEvent) -> None:
        self.published.extend(events)


@dataclass
class FakeLine:
    """Delivers a push once per retry key, as LINE does."""

    delivered: list[tuple[str, str]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None:
        if retry_key in self.keys:
            return
        self.keys.add(retry_key)
        self.delivered.extend((user_id, m.text) for m in messages)


class ThrottledMarks(FakeGrants):
    def mark_revoked(self, user_id: str) -> bool:
        raise RuntimeError("throttled")


@dataclass
class Linking:
    states: FakeStates = field(default_factory=FakeStates)
    consent: FakeConsent = field(default_factory=FakeConsent)
    grants: FakeGrants = field(default_factory=FakeGrants)
    bus: FakeBus = field(default_factory=FakeBus)
    line: FakeLine = field(default_factory=FakeLine)

    def ask_for_link(self, language: str = "ja") -> str:
        """The state of the consent link the bot just sent."""
        message = GoogleAccountLinking(self.consent, self.states).consent_message(
            USER, "en" if language == "en" else "ja"
        )
        text = message.text
        return parse_qs(urlsplit(text.split()[-1]).query)["state"][0]

    def come_back(self, **query: str | None) -> LinkOutcome:
        return finish_linking(
            GoogleCallback(**query), self.states, self.consent, self.grants, self.bus, self.line
        )


# ---------------------------------------------------------------- starting a link


def test_link_command_answers_a_consent_link_bound_to_the_user_for_ten_minutes() -> None:
    linking = Linking()

    state = linking.ask_for_link()

    link, ttl = linking.states.kept[state]
    assert (link.user_id, link.language, ttl) == (USER, "ja", timedelta(minutes=10))
    assert len(state) >= 40  # 32 random bytes


def test_each_link_gets_its_own_state() -> None:
    linking = Linking()

    assert linking.ask_for_link() != linking.ask_for_link()


def test_the_consent_url_asks_offline_read_only_access_with_pkce_and_forced_consent() -> None:
    settings = GoogleSettings(
        google_client_id="client-1.apps.googleusercontent.com",
        google_auth_uri="https://auth.example/o/oauth2/auth",
    )
    flow = GoogleOAuthFlow(settings, "https://bot.example/")

    url, verifier = flow.consent_url("the-state")

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://auth.example/o/oauth2/auth"
    assert query["scope"] == "https://www.googleapis.com/auth/calendar.readonly"
    assert query["redirect_uri"] == "https://bot.example/oauth/google/callback"
    assert query["state"] == "the-state"
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256"
    assert query["response_type"] == "code"
    assert 43 <= len(verifier) <= 128 and verifier not in url


# ---------------------------------------------------------------- coming back


def test_a_completed_consent_stores_the_token_announces_the_link_and_tells_the_user() -> None:
    linking = Linking()
    state = linking.ask_for_link(language="en")

    outcome = linking.come_back(state=state, code="4/0code")

    assert outcome is LinkOutcome.LINKED
    assert linking.grants.stored == {USER: REFRESH_TOKEN}
    assert linking.consent.exchanged == [("4/0code", "verifier-" + state[:4])]
    assert [type(e) for e in linking.bus.published] == [GoogleAccountLinked]
    assert len(linking.line.delivered) == 1
    assert linking.line.delivered[0][1].startswith("Your Google Calendar is linked.")


def test_nothing_secret_is_carried_by_the_event_or_the_message() -> None:
    linking = Linking()
    state = linking.ask_for_link()

    linking.come_back(state=state, code="4/0code")

    carried = linking.bus.published[0].model_dump_json() + repr(linking.line.delivered)
    for secret in (REFRESH_TOKEN, state, "4/0code", "verifier-"):
        assert secret not in carried


@pytest.mark.parametrize("state", [None, "", "never-issued"])
def test_an_unknown_state_stores_nothing(state: str | None) -> None:
    linking = Linking()
    linking.ask_for_link()

    outcome = linking.come_back(state=state, code="4/0code")

    assert outcome is LinkOutcome.INVALID_STATE
    assert (linking.grants.stored, linking.bus.published, linking.line.delivered) == ({}, [], [])
    assert linking.consent.exchanged == []


def test_a_state_works_once() -> None:
    linking = Linking()
    state = linking.ask_for_link()
    linking.come_back(state=state, code="4/0code")
    linking.grants.stored.clear()

    outcome = linking.come_back(state=state, code="4/0code")

    assert outcome is LinkOutcome.INVALID_STATE
    assert linking.grants.stored == {}
    assert len(linking.bus.published) == 1


def test_access_denied_tells_the_user_and_stores_nothing() -> None:
    linking = Linking()
    state = linking.ask_for_link()

    outcome = linking.come_back(state=state, error="access_denied")

    assert outcome is LinkOutcome.DENIED
    assert linking.grants.stored == {}
    assert linking.bus.published == []
    assert len(linking.line.delivered) == 1 and "キャンセル" in linking.line.delivered[0][1]


def test_a_failed_code_exchange_stores_nothing() -> None:
    linking = Linking(consent=FakeConsent(fails=True))
    state = linking.ask_for_link()

    assert linking.come_back(state=state, code="4/0stale") is LinkOutcome.FAILED
    assert (linking.grants.stored, linking.bus.published) == ({}, [])


def test_relinking_replaces_the_token() -> None:
    linking = Linking()
    linking.grants.stored[USER] = "1//old"
    linking.grants.revoked.add(USER)

    linking.come_back(state=linking.ask_for_link(), code="4/0code")

    assert linking.grants.stored == {USER: REFRESH_TOKEN}
    assert linking.grants.is_linked(USER)


def test_an_answer_without_refresh_token_never_overwrites_a_stored_one() -> None:
    linking = Linking(consent=FakeConsent(refresh_token=None))
    linking.grants.stored[USER] = "1//kept"

    outcome = linking.come_back(state=linking.ask_for_link(), code="4/0code")

    assert outcome is LinkOutcome.LINKED
    assert linking.grants.stored == {USER: "1//kept"}


def test_an_answer_without_refresh_token_and_nothing_stored_is_a_failure() -> None:
    linking = Linking(consent=FakeConsent(refresh_token=None))

    outcome = linking.come_back(state=linking.ask_for_link(), code="4/0code")

    assert outcome is LinkOutcome.FAILED
    assert (linking.grants.stored, linking.bus.published) == ({}, [])


# ---------------------------------------------------------------- losing the link


def test_revoked_access_asks_the_user_to_relink_once_however_often_it_is_reported() -> None:
    grants, line = FakeGrants(stored={USER: REFRESH_TOKEN}), FakeLine()
    reports = [GoogleAccessRevoked(user_id=USER, correlation_id=f"c{i}") for i in range(3)]

    marked = [note_access_revoked(report, grants, line) for report in reports]

    assert marked == [True, False, False]
    assert len(line.delivered) == 1 and "連携" in line.delivered[0][1]
    assert not grants.is_linked(USER)


def test_a_report_retried_after_a_failed_mark_sends_no_second_message() -> None:
    # GIVEN the notice went out but marking the link failed, so the report is retried
    grants, line = FakeGrants(stored={USER: REFRESH_TOKEN}), FakeLine()
    report = GoogleAccessRevoked(user_id=USER)
    with pytest.raises(RuntimeError):
        note_access_revoked(report, ThrottledMarks(stored=dict(grants.stored)), line)

    # WHEN the retry succeeds / THEN the user still got one message
    assert note_access_revoked(report, grants, line) is True
    assert len(line.delivered) == 1


def test_after_relinking_a_new_revocation_is_reported_again() -> None:
    grants, line = FakeGrants(stored={USER: REFRESH_TOKEN}), FakeLine()
    note_access_revoked(GoogleAccessRevoked(user_id=USER), grants, line)
    grants.store(USER, "1//new")
    grants.linked_at = "2026-02-01T00:00:00+00:00"

    note_access_revoked(GoogleAccessRevoked(user_id=USER), grants, line)

    assert len(line.delivered) == 2
