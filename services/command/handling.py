"""Dispatching each event on the command queue to its domain decision, then acting on it.

Every LINE event is claimed by its webhook event id first, so a duplicate delivery (from
LINE or from SQS) is dropped, and a failed attempt gives its claim back for the retry.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from services.command.bootstrap import CommandService
from services.command.domain.answers import Answer
from services.command.domain.conversation import (
    answer_follow,
    answer_group_message,
    answer_message,
    answer_postback,
    forget_user,
)
from services.command.domain.linking import note_access_revoked
from shared.events import (
    DomainEvent,
    GoogleAccessRevoked,
    LineGroupMessageReceived,
    LineMessageReceived,
    LinePostbackReceived,
    LineUserFollowed,
    LineUserUnfollowed,
)
from shared.line_messaging import retry_key_for

logger = Logger(service="command", child=True)

LineEvent = (
    LineMessageReceived
    | LinePostbackReceived
    | LineUserFollowed
    | LineUserUnfollowed
    | LineGroupMessageReceived
)


def handle_command_event(event: DomainEvent, service: CommandService) -> None:
    """Answer one LINE event once; events this service does not act on are acknowledged."""
    if isinstance(event, GoogleAccessRevoked):
        marked = note_access_revoked(event, service.tokens, service.messenger)
        logger.info("google access revoked", newly_marked=marked)
        return
    if not isinstance(event, LineEvent):
        logger.info("event not handled by this service", detail_type=event.detail_type())
        return

    claims = service.webhook_events
    if not claims.claim(event.webhook_event_id):
        logger.info("duplicate webhook event dropped", redelivery=event.is_redelivery)
        return
    try:
        _act_on(event, service)
    except Exception:
        claims.release(event.webhook_event_id)
        raise
    claims.complete(event.webhook_event_id)


def _act_on(event: LineEvent, service: CommandService) -> None:
    if isinstance(event, LineMessageReceived):
        answer = answer_message(event, service.conversation)
        _deliver(service, event.user_id, event.reply_token, event.webhook_event_id, answer)
    elif isinstance(event, LinePostbackReceived):
        answer = answer_postback(event, service.conversation)
        _deliver(service, event.user_id, event.reply_token, event.webhook_event_id, answer)
    elif isinstance(event, LineUserFollowed):
        answer = answer_follow(event)
        _deliver(service, event.user_id, event.reply_token, event.webhook_event_id, answer)
    elif isinstance(event, LineGroupMessageReceived):
        answer = answer_group_message(event, service.group_notices)
        _deliver(service, event.chat_id, event.reply_token, event.webhook_event_id, answer)
    else:
        forget_user(event.user_id, service.google_grants, service.sessions)
        logger.info("user forgotten")


def _deliver(
    service: CommandService,
    to: str,
    reply_token: str | None,
    webhook_event_id: str,
    answer: Answer,
) -> None:
    if answer.events:
        # Ids derived from the webhook event make a retry publish the same events again,
        # which their consumers recognise as duplicates.
        stamped = [
            event.model_copy(
                update={
                    "event_id": retry_key_for(webhook_event_id, event.detail_type(), str(n)),
                    "correlation_id": webhook_event_id,
                }
            )
            for n, event in enumerate(answer.events)
        ]
        service.publisher.publish(*stamped)

    how = service.messenger.answer(
        to, reply_token, answer.messages, retry_key_for("answer", webhook_event_id)
    )
    logger.info("answered", via=how, messages=len(answer.messages), published=len(answer.events))
