"""Adding and removing calendars: menus of quick-reply buttons, paged, and their answers.

A menu lists every choice as numbered text (so nothing is ever cut off and a number can be
typed) and offers the first choices as buttons; more than fit get a "next" button.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.command.domain import replies
from services.command.domain.answers import Answer, say, say_both
from services.command.domain.commands import normalise
from services.command.domain.ports import (
    CalendarOption,
    ChoiceSession,
    ChoiceSessions,
    GoogleCalendarDirectory,
    GoogleCalendarsUnavailable,
)
from services.command.domain.postbacks import MenuPostback, decode, encode
from shared.events import (
    CalendarSubscriptionRequested,
    CalendarUnsubscriptionRequested,
    Language,
)
from shared.messages import MAX_QUICK_REPLY_ITEMS, OutgoingMessage, QuickReplyChoice, fit_label
from shared.subscriptions import SubscribedCalendars

# One of LINE's 13 buttons is kept for "next" whenever the choices do not all fit.
PAGE_SIZE = MAX_QUICK_REPLY_ITEMS - 1


def find_calendars(options: Sequence[CalendarOption], wanted: str) -> list[CalendarOption]:
    """Calendars meant by a name, an id or a number: exact first, then partial names."""
    folded = normalise(wanted)
    exact = [
        o for o in options if normalise(o.name) == folded or normalise(o.calendar_id) == folded
    ]
    if exact:
        return exact
    if folded.isascii() and folded.isdigit():
        number = int(folded)
        return [options[number - 1]] if 1 <= number <= len(options) else []
    return [o for o in options if folded in normalise(o.name)]


def _pages(session: ChoiceSession) -> int:
    total = len(session.options)
    return 1 if total <= MAX_QUICK_REPLY_ITEMS else -(-total // PAGE_SIZE)


def _buttons(session: ChoiceSession, page: int) -> tuple[QuickReplyChoice, ...]:
    per_page = MAX_QUICK_REPLY_ITEMS if _pages(session) == 1 else PAGE_SIZE
    first = page * per_page
    buttons = [
        QuickReplyChoice(
            fit_label(f"{first + offset + 1}. {option.name}"),
            postback_data=encode(MenuPostback("pick", session.key, first + offset)),
        )
        for offset, option in enumerate(session.options[first : first + per_page])
    ]
    if page + 1 < _pages(session):
        buttons.append(
            QuickReplyChoice(
                replies.NEXT_BUTTON[session.language],
                postback_data=encode(MenuPostback("page", session.key, page + 1)),
            )
        )
    return tuple(buttons)


def _numbered(options: Sequence[CalendarOption], start: int = 1) -> list[str]:
    return [f"{number}. {option.name}" for number, option in enumerate(options, start=start)]


def menu(session: ChoiceSession, lead: str | None = None) -> Answer:
    """The whole list as text, with the first page of buttons."""
    language = session.language
    header, footer = (
        (replies.ADD_MENU_HEADER, replies.ADD_MENU_FOOTER)
        if session.flow == "add"
        else (replies.REMOVE_MENU_HEADER, replies.REMOVE_MENU_FOOTER)
    )
    lines = [lead] if lead else []
    lines += [header[language], *_numbered(session.options), footer[language]]
    return Answer([OutgoingMessage("\n".join(lines), _buttons(session, 0))])


def menu_page(session: ChoiceSession, page: int) -> Answer:
    if not 0 < page < _pages(session):
        return say(replies.START_AGAIN, session.language)
    first = page * PAGE_SIZE
    shown = session.options[first : first + PAGE_SIZE]
    heading = replies.MORE_PAGE[session.language].format(
        first=first + 1, last=first + len(shown), total=len(session.options)
    )
    text = "\n".join([heading, *_numbered(shown, start=first + 1)])
    return Answer([OutgoingMessage(text, _buttons(session, page))])


def _subscribe(user_id: str, option: CalendarOption, language: Language) -> Answer:
    answer = say(replies.ADDING, language, name=option.name)
    request = CalendarSubscriptionRequested(user_id=user_id, calendar_id=option.calendar_id)
    return Answer(answer.messages, [request])


def _confirm_removal(session: ChoiceSession, index: int) -> Answer:
    language = session.language
    text = replies.CONFIRM_REMOVE[language].format(name=session.options[index].name)
    buttons = (
        QuickReplyChoice(
            replies.YES_REMOVE[language],
            postback_data=encode(MenuPostback("confirm", session.key, index)),
        ),
        QuickReplyChoice(
            replies.KEEP[language],
            postback_data=encode(MenuPostback("cancel", session.key, index)),
        ),
    )
    return Answer([OutgoingMessage(text, buttons)])


def link_first(language: Language) -> Answer:
    """The answer when a flow needs Google and the user has no working link."""
    return say(replies.LINK_FIRST, language)


def offer_calendars_to_add(
    user_id: str,
    language: Language,
    wanted: str | None,
    google: GoogleCalendarDirectory,
    subscribed: SubscribedCalendars,
    sessions: ChoiceSessions,
) -> Answer:
    """`カレンダー追加 [名前 or 番号]`: add the one named, or offer the ones not yet added."""
    try:
        available = google.calendars_of(user_id)
    except GoogleCalendarsUnavailable:
        return say(replies.GOOGLE_UNAVAILABLE, language)
    if available is None:
        return link_first(language)

    added = {c.calendar_id for c in subscribed.for_user(user_id)}
    candidates = [o for o in available if o.calendar_id not in added]
    lead = None
    if wanted:
        matches = find_calendars(candidates, wanted)
        if len(matches) == 1:
            return _subscribe(user_id, matches[0], language)
        already = [o for o in find_calendars(available, wanted) if o.calendar_id in added]
        if not matches and already:
            return say(replies.ALREADY_ADDED, language, name=already[0].name)
        if matches:
            candidates = matches
        lead = (replies.SEVERAL_MATCH if matches else replies.NOT_FOUND)[language]
        lead = lead.format(wanted=wanted)

    if not candidates:
        return say(replies.NOTHING_TO_ADD, language)
    return menu(sessions.start(user_id, "add", language, candidates), lead)


def offer_calendars_to_remove(
    user_id: str,
    language: Language,
    wanted: str | None,
    subscribed: SubscribedCalendars,
    sessions: ChoiceSessions,
) -> Answer:
    """`カレンダー削除 [名前 or 番号]`: confirm the one named, or offer the subscribed ones."""
    options = [
        CalendarOption(c.calendar_id, c.name, c.is_primary) for c in subscribed.for_user(user_id)
    ]
    if not options:
        return say(replies.NO_CALENDARS, language)

    lead = None
    if wanted:
        # Numbers are those of the calendar list, so "remove 2" means what the list showed.
        matches = find_calendars(options, wanted)
        if len(matches) == 1:
            session = sessions.start(user_id, "remove", language, matches)
            return _confirm_removal(session, 0)
        if matches:
            options = matches
        lead = (replies.SEVERAL_MATCH if matches else replies.NOT_FOUND)[language]
        lead = lead.format(wanted=wanted)
    return menu(sessions.start(user_id, "remove", language, options), lead)


def answer_menu_button(user_id: str, data: str, sessions: ChoiceSessions) -> Answer:
    """A tap on one of our menu buttons."""
    postback = decode(data)
    session = sessions.find(user_id, postback.key) if postback else None
    if postback is None or session is None:
        return say_both(replies.START_AGAIN)

    if postback.action == "page":
        return menu_page(session, postback.index)
    if not 0 <= postback.index < len(session.options):
        return say(replies.START_AGAIN, session.language)

    option = session.options[postback.index]
    if postback.action == "pick" and session.flow == "add":
        return _subscribe(user_id, option, session.language)
    if postback.action == "pick" and session.flow == "remove":
        return _confirm_removal(session, postback.index)
    if postback.action == "confirm" and session.flow == "remove":
        request = CalendarUnsubscriptionRequested(user_id=user_id, calendar_id=option.calendar_id)
        answer = say(replies.REMOVING, session.language, name=option.name)
        return Answer(answer.messages, [request])
    if postback.action == "cancel":
        return say(replies.KEPT, session.language)
    return say(replies.START_AGAIN, session.language)
