"""Dispatching each event on the command queue to its domain decision, then acting on it."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from services.command.bootstrap import CommandService
from services.command.domain.conversation import (
    Answer,
    answer_follow,
    answer_group_message,
    answer_message,
)
from services.command.domain.linking import note_access_revoked
from shared.events import (
    DomainEvent,
    GoogleAccessRevoked,
    LineGroupMessageReceived,
    LineMessageReceived,
    LineUserFollowed,
)
from shared.line_messaging import retry_key_for

logger = Logger(service="command", child=True)


def handle_command_event(event: DomainEvent, service: CommandService) -> None:
    """Answer one LINE event; events this slice does not act on are acknowledged."""
    if isinstance(event, LineMessageReceived):
        answer = answer_message(event, service.calendars, linking=service.linking)
        _deliver(service, event.user_id, event.reply_token, event.webhook_event_id, answer)
    elif isinstance(event, LineUserFollowed):
        answer = answer_follow(event)
        _deliver(service, event.user_id, event.reply_token, event.webhook_event_id, answer)
    elif isinstance(event, LineGroupMessageReceived):
        answer = answer_group_message(event)
        _deliver(service, event.chat_id, event.reply_token, event.webhook_event_id, answer)
    elif isinstance(event, GoogleAccessRevoked):
        marked = note_access_revoked(event, service.tokens, service.messenger)
        logger.info("google access revoked", newly_marked=marked)
    else:
        # TODO(#3): postbacks and unfollow are handled by issue #3.
        logger.info("event not handled by this service yet", detail_type=event.detail_type())


def _deliver(
    service: CommandService,
    to: str,
    reply_token: str | None,
    webhook_event_id: str,
    answer: Answer,
) -> None:
    if answer.events:
        service.publisher.publish(*answer.events)

    how = service.messenger.answer(
        to, reply_token, answer.messages, retry_key_for("answer", webhook_event_id)
    )
    logger.info("answered", via=how, messages=len(answer.messages))
