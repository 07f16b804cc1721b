"""Reading LINE webhook bodies: signatures on the raw bytes, every event in a body."""

from __future__ import annotations

import pytest

from services.command.line_webhook import LineWebhookReader, MalformedBody, SignatureMismatch
from shared.events import (
    LineGroupMessageReceived,
    LineMessageReceived,
    LinePostbackReceived,
    LineUserFollowed,
    LineUserUnfollowed,
)
from tests.fixture_files import LINE_BODIES, line_body, line_channel_secret, line_signature
from tests.lines import signed


@pytest.fixture
def reader() -> LineWebhookReader:
    return LineWebhookReader(line_channel_secret())


@pytest.mark.parametrize("name", LINE_BODIES)
def test_captured_bodies_with_their_signatures_are_accepted(
    reader: LineWebhookReader, name: str
) -> None:
    batch = reader.read(line_body(name), line_signature(name))

    assert batch.ignored == 0


@pytest.mark.parametrize("name", LINE_BODIES)
def test_one_changed_byte_breaks_the_signature(reader: LineWebhookReader, name: str) -> None:
    body = bytearray(line_body(name))
    body[len(body) // 2] ^= 0x01

    with pytest.raises(SignatureMismatch):
        reader.read(bytes(body), line_signature(name))


def test_missing_signature_is_a_mismatch(reader: LineWebhookReader) -> None:
    with pytest.raises(SignatureMismatch):
        reader.read(line_body("text_help_en"), None)


def test_signed_garbage_is_malformed(reader: LineWebhookReader) -> None:
    for body in (b"{not json", b"[]", b'{"destination":"x"}', b'{"events":[{"type":1}]}'):
        with pytest.raises(MalformedBody):
            reader.read(body, signed(body, line_channel_secret()))


def test_each_event_of_a_body_becomes_a_domain_event(reader: LineWebhookReader) -> None:
    batch = reader.read(line_body("two_events_one_body"), line_signature("two_events_one_body"))

    assert len(batch.events) == 2
    assert len({e.user_id for e in batch.events if isinstance(e, LineMessageReceived)}) == 2


def test_text_is_parsed_and_not_carried(reader: LineWebhookReader) -> None:
    batch = reader.read(line_body("text_calendar_list_ja"), line_signature("text_calendar_list_ja"))

    event = batch.events[0]
    assert isinstance(event, LineMessageReceived)
    assert (event.intent, event.language) == ("list_calendars", "ja")
    assert "カレンダー一覧" not in event.model_dump_json()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("postback_add_calendar", LinePostbackReceived),
        ("follow", LineUserFollowed),
        ("unfollow", LineUserUnfollowed),
        ("group_message", LineGroupMessageReceived),
    ],
)
def test_event_kinds(reader: LineWebhookReader, name: str, kind: type) -> None:
    batch = reader.read(line_body(name), line_signature(name))

    assert [type(e) for e in batch.events] == [kind]


def test_redelivery_flag_is_kept(reader: LineWebhookReader) -> None:
    batch = reader.read(line_body("text_redelivered"), line_signature("text_redelivered"))

    event = batch.events[0]
    assert isinstance(event, LineMessageReceived)
    assert event.is_redelivery is True


def test_verify_request_has_no_events(reader: LineWebhookReader) -> None:
    batch = reader.read(line_body("verify_empty_events"), line_signature("verify_empty_events"))

    assert batch.events == []


def test_signed_bytes_that_are_not_utf8_are_malformed_not_forged(
    reader: LineWebhookReader,
) -> None:
    body = b'{"events":[]}\xff\xfe'

    with pytest.raises(MalformedBody):
        reader.read(body, signed(body, line_channel_secret()))
    with pytest.raises(SignatureMismatch):
        reader.read(body, signed(body, "another-secret"))
