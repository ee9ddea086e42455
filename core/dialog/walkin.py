"""The walk-in queue: join, place and expected time, how to be told the turn is near, leave."""

from __future__ import annotations

import datetime as dt

from core.dialog import elsewhere
from core.dialog.engine import Question, Turn, question, starter, yes_no, yes_no_choices
from core.dialog.heard import Heard
from core.dialog.people import need_phone, release_hold, sms_or_call
from core.dialog.types import Choice, Reply, Say
from core.errors import AlreadyInQueue, NotInQueue, QueueFull, WalkinNotOpen, WalkinUnavailable
from core.models import WalkinTicket
from core.services import walkin
from core.services.clinics import is_open
from core.timeutil import to_local
from prompts.format import format_time, format_when, people_ahead


def _time(t: Turn, instant: dt.datetime) -> str:
    return format_time(to_local(instant, t.clinic.timezone).time(), t.lang, t.channel)


def opening_text(t: Turn, instant: dt.datetime) -> Say:
    """When registration opens: 'aujourd'hui à 7 h', 'demain à 7 h' or the date."""
    local = to_local(instant, t.clinic.timezone)
    today = t.local_now.date()
    if local.date() == today:
        return Say("opens_today", {"time": _time(t, instant)})
    if local.date() == today + dt.timedelta(days=1):
        return Say("opens_tomorrow", {"time": _time(t, instant)})
    return Say("opens_on", {"when": format_when(local.replace(tzinfo=None), t.lang, t.channel)})


def place_values(t: Turn, ticket: WalkinTicket) -> dict:
    place = walkin.place_in_queue(t.session, t.clinic, ticket, t.now)
    return {
        "number": str(ticket.number),
        "ahead": people_ahead(place.ahead, t.lang),
        "time": _time(t, place.expected_at),
    }


def _notify_by(t: Turn) -> str:
    """SMS when the number can take one, else a call (landlines)."""
    if t.channel == "sms":
        return "sms"
    return "sms" if t.can_text() else "call"


@starter("walkin")
def join(t: Turn, _h: Heard | None) -> Reply:
    """'SANS RDV', 'walk-in', 2 on the phone menu."""
    waiting = need_phone(t, "walkin")
    if waiting is not None:
        return waiting
    release_hold(t)
    patient = t.patient()
    notify_by = _notify_by(t)
    try:
        ticket = walkin.join_walkin_queue(t.session, t.clinic, patient, t.channel, t.now, notify_by=notify_by)
    except AlreadyInQueue as exc:
        return _already(t, t.session.get(WalkinTicket, exc.ticket_id))
    except WalkinUnavailable:
        return t.done(Say("walkin_unavailable", {"clinic": t.clinic_name()}))
    except WalkinNotOpen as exc:
        if exc.opens_at is None:
            return t.done(Say("walkin_closed", {"phone": t.clinic_phone()}))
        t.lead.append(Say("walkin_not_open"))
        return t.done(opening_text(t, exc.opens_at))
    except QueueFull as exc:
        t.lead.append(Say("walkin_full"))
        if exc.reopens_at is not None:
            t.lead.append(opening_text(t, exc.reopens_at))
        if not elsewhere.room_elsewhere(t):
            if is_open(t.clinic, "walkin", t.now):  # a place given back today may still be offered
                from core.dialog.waitlist import ask_to_wait

                return ask_to_wait(t, {}, [Say("walkin_full_811")], kind="walkin")
            return t.done(Say("walkin_full_811"))
        # Full for today: other clinics of the region with room (core/dialog/elsewhere.py)
        t.lead.append(Say("walkin_full_811"))
        return elsewhere.when_full(t, None, none_here=None)
    t.settle_language(patient)
    t.enqueue("check_queue_notices", t.clinic.id)
    joined = Say("walkin_joined", place_values(t, ticket))
    if t.voice and notify_by == "sms" and not t.state.get("reached_by"):
        return t.ask("walkin_notify", data={"ticket": ticket.id}, says=[joined])
    return t.done(joined, Say("walkin_notice_" + notify_by))


def _tell_place(t: Turn, ticket: WalkinTicket, key: str) -> Reply:
    """The patient's place; a caller may then leave the queue or go back to the menu."""
    said = Say(key, place_values(t, ticket))
    if t.voice:
        return t.ask("queue_action", data={"ticket": ticket.id}, says=[said])
    return t.done(said)


def _already(t: Turn, ticket: WalkinTicket) -> Reply:
    return _tell_place(t, ticket, "walkin_already")


@starter("position")
def position(t: Turn, _h: Heard | None) -> Reply:
    """'POSITION', 'PLACE', 'where am I'."""
    waiting = need_phone(t, "position")
    if waiting is not None:
        return waiting
    ticket = walkin.active_ticket(t.session, t.clinic, t.patient(), t.now)
    if ticket is None:
        if not t.clinic.walkin_enabled:
            return t.done(Say("walkin_unavailable", {"clinic": t.clinic_name()}))
        return t.ask("offer_join", data={}, says=[Say("walkin_not_in_queue")])
    return _tell_place(t, ticket, "walkin_place")


@starter("leave")
def leave(t: Turn, _h: Heard | None) -> Reply:
    """'QUITTER', 'leave': out of today's queue."""
    waiting = need_phone(t, "leave")
    if waiting is not None:
        return waiting
    try:
        walkin.leave_walkin_queue(t.session, t.clinic, t.patient(), t.now, t.channel)
    except NotInQueue:
        return t.done(Say("walkin_not_in_queue_short"))
    t.enqueue("check_queue_notices", t.clinic.id)
    return t.done(Say("walkin_left"))


def _notify_act(t: Turn, answer: object) -> Reply:
    ticket = t.session.get(WalkinTicket, t.data.get("ticket"))
    if ticket is not None:
        ticket.notify_by = str(answer)
    patient = t.patient()
    if patient is not None:
        patient.notify_by = str(answer)
    return t.done(Say("walkin_notice_" + str(answer)))


question(
    Question(
        name="walkin_notify",
        prompt="walkin_notify",
        retry="walkin_notify_retry",
        recognise=sms_or_call,
        act=_notify_act,
        choices=lambda t: [
            Choice("1", Say("choice_by_sms"), "sms"),
            Choice("2", Say("choice_by_call"), "call"),
        ],
        hints="hints_notify",
        exhausted=lambda t: _notify_act(t, "sms"),
        channels=("voice",),
    )
)


def _queue_recognise(t: Turn, h: Heard) -> object | None:
    if h.choice in (1, 2) and (h.intent == "choice" or h.keyed):
        return "keep" if h.choice == 1 else "leave"
    if h.intent == "cancel":
        return "leave"
    if h.keep or h.intent == "yes":  # "yes" to "would you like to keep your place?"
        return "keep"
    return None  # a bare "no" is asked again with the keys: leaving the queue is not undone


def _queue_act(t: Turn, answer: object) -> Reply:
    if answer == "leave":
        return leave(t, None)
    return t.done(Say("walkin_kept"))


question(
    Question(
        name="queue_action",
        prompt="queue_action",
        retry="queue_action_retry",
        recognise=_queue_recognise,
        act=_queue_act,
        choices=lambda t: [
            Choice("1", Say("choice_keep_place"), "keep"),
            Choice("2", Say("choice_leave"), "leave"),
        ],
        hints="hints_queue",
        channels=("voice",),
    )
)


def _offer_join_act(t: Turn, answer: object) -> Reply:
    if answer == "yes":
        return join(t, None)
    return t.done(Say("ok"))


question(
    Question(
        name="offer_join",
        prompt="offer_join",
        retry="offer_join_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_offer_join_act,
        choices=yes_no_choices,
        hints="hints_yes_no",
    )
)
