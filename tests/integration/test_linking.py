"""Linking Google through the local stack: the chat, the sandbox consent, the callback."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from linecal.chat import ChatSession
from linecal.local.embedded import EmbeddedStack
from services.command.domain.linking import PendingLink
from services.command.linking import OAuthStateTable
from shared.events import GoogleAccessRevoked, UserNeedsDefaultCalendar
from tests.fixture_files import line_channel_secret
from tests.integration.stack_doors import (
    DEMO_ACCOUNT,
    calendars_of,
    link_directly,
    new_user,
    publish,
    queue_drained,
    resource,
    texts_to,
    tokens,
    wait_for,
)


def consent_url_sent_to(stack: EmbeddedStack, user_id: str) -> str:
    """Ask for a link in the chat and read the URL from what LINE delivered."""
    ChatSession(stack.base_url, user_id, line_channel_secret()).send_text("連携")
    found = re.search(r"https?://\S+", texts_to(stack, user_id)[-1])
    assert found, "the bot sent no link"
    return found.group(0)


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def callback(stack: EmbeddedStack, **query: str) -> requests.Response:
    return requests.get(f"{stack.base_url}/oauth/google/callback", params=query, timeout=10)


def test_following_the_link_links_google_and_subscribes_the_primary_calendar(
    local_stack: EmbeddedStack,
) -> None:
    user = new_user()
    url = consent_url_sent_to(local_stack, user)

    # WHEN the user follows the link (the sandbox consents and redirects to the callback)
    page = requests.get(url, timeout=10)

    # THEN they see a page in both languages, and LINE tells them it worked
    assert page.status_code == 200
    assert "連携しました" in page.text and "linked" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert tokens(local_stack).is_linked(user)
    wait_for(lambda: calendars_of(local_stack, user), "the primary calendar subscribed")
    [primary] = calendars_of(local_stack, user)
    assert (primary.calendar_id, primary.name, primary.is_primary) == (
        DEMO_ACCOUNT,
        DEMO_ACCOUNT,
        True,
    )
    texts = wait_for(lambda: texts_to(local_stack, user)[1:3] or None, "two pushes")
    assert "連携しました" in texts[0]
    assert f"「{DEMO_ACCOUNT}」" in texts[1]


def test_the_link_works_once(local_stack: EmbeddedStack) -> None:
    user = new_user()
    url = consent_url_sent_to(local_stack, user)
    assert requests.get(url, timeout=10).status_code == 200

    again = requests.get(url, timeout=10)

    assert again.status_code == 400
    assert "使用済み" in again.text and "already used" in again.text


def test_an_unknown_state_stores_nothing_and_reveals_nothing(local_stack: EmbeddedStack) -> None:
    page = callback(local_stack, state="forged-state", code="4/0forged-code")

    assert page.status_code == 400
    assert "forged" not in page.text


def test_an_expired_state_stores_nothing(local_stack: EmbeddedStack) -> None:
    # GIVEN a consent link whose ten minutes ran out
    user = new_user()
    eleven_minutes_ago = OAuthStateTable(
        resource(local_stack, "SessionsTable"), clock=lambda: time.time() - 11 * 60
    )
    link = PendingLink(user, "v" * 64, "ja")
    eleven_minutes_ago.remember("old-state", link, timedelta(minutes=10))

    page = callback(local_stack, state="old-state", code="4/0whatever")

    assert page.status_code == 400
    assert tokens(local_stack).status(user) is None


def test_denying_consent_gets_a_friendly_page_and_a_line_message(
    local_stack: EmbeddedStack,
) -> None:
    user = new_user()
    url = consent_url_sent_to(local_stack, user)

    page = requests.get(url + "&deny=1", timeout=10)  # the sandbox's "Cancel" button

    assert page.status_code == 200
    assert "キャンセル" in page.text and "cancelled" in page.text
    assert tokens(local_stack).status(user) is None
    assert "キャンセル" in texts_to(local_stack, user)[-1]


def test_nothing_secret_reaches_the_page_or_the_messages(local_stack: EmbeddedStack) -> None:
    user = new_user()
    url = consent_url_sent_to(local_stack, user)
    final = requests.get(url, timeout=10)

    code = parse_qs(urlsplit(final.url).query)["code"][0]
    shown = final.text + " ".join(texts_to(local_stack, user)[1:])
    for secret in (state_of(url), code, "1//sandbox-"):
        assert secret not in shown


def test_relinking_replaces_the_token(local_stack: EmbeddedStack) -> None:
    user = new_user()
    first = link_directly(local_stack, user)

    requests.get(consent_url_sent_to(local_stack, user), timeout=10)

    grant = tokens(local_stack).load(user)
    assert grant is not None and grant.refresh_token not in ("", first)


def test_a_stored_refresh_token_is_not_readable_without_kms(local_stack: EmbeddedStack) -> None:
    user, other = new_user(), new_user()
    token = link_directly(local_stack, user)
    link_directly(local_stack, other)
    dynamodb = boto3.client("dynamodb")
    table = resource(local_stack, "OAuthTokensTable")

    item = dynamodb.get_item(TableName=table, Key={"userId": {"S": user}})["Item"]

    # THEN the item holds no plaintext, in any attribute
    raw = repr(item).encode()
    assert token.encode() not in raw and token.encode() not in b"".join(
        v.get("B", b"") for v in item.values()
    )
    # AND the sealed token does not open with anything the item holds
    with pytest.raises(InvalidTag):
        AESGCM(item["encryptedDataKey"]["B"][:32]).decrypt(
            item["nonce"]["B"], item["sealedToken"]["B"], user.encode()
        )
    # AND KMS gives the data key out only for the user it was sealed for
    kms = boto3.client("kms")
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(
            CiphertextBlob=item["encryptedDataKey"]["B"], EncryptionContext={"userId": other}
        )
    # AND a sealed item copied under another user's id does not open
    dynamodb.put_item(TableName=table, Item={**item, "userId": {"S": other}})
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        tokens(local_stack).load(other)
    # AND through KMS, for its own user, it does
    grant = tokens(local_stack).load(user)
    assert grant is not None and grant.refresh_token == token


def test_a_revoked_grant_marks_the_link_and_asks_to_relink_once(
    local_stack: EmbeddedStack,
) -> None:
    # GIVEN a linked user who then revokes the bot's access in their Google account
    user = new_user()
    token = link_directly(local_stack, user)
    revoked = requests.post(
        f"{local_stack.base_url}/sandbox/google/revoke", data={"token": token}, timeout=10
    )
    assert revoked.status_code == 200

    # WHEN the subscription service next uses the grant, and others report the loss too
    publish(local_stack, UserNeedsDefaultCalendar(user_id=user))
    wait_for(lambda: not tokens(local_stack).is_linked(user), "the link marked revoked")
    publish(
        local_stack,
        GoogleAccessRevoked(user_id=user),
        UserNeedsDefaultCalendar(user_id=user),
    )
    for queue in ("SubscriptionQueue", "CommandQueue", "SubscriptionQueue", "CommandQueue"):
        wait_for(lambda q=queue: queue_drained(local_stack, q), f"{queue} drained")

    # THEN the user was asked once to link again, and nothing was subscribed
    texts = texts_to(local_stack, user)
    assert len(texts) == 1 and "もう一度連携" in texts[0]
    assert calendars_of(local_stack, user) == []
