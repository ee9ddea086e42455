"""Answers to messages we sent first: a reminder SMS ("1" confirms, ANNULER cancels that appointment), the
reminder call to a patient who takes calls only (1 confirm, 2 cancel, 3 change), and the outbound call that
says a walk-in turn is near (1 I'm coming, 2 leave the queue)."""

from __future__ import annotations

from dataclasses import replace

from core.dialog.appointments import _own, act_on, cancel_now, new_wish
from core.dialog.book import appointment_when
from core.dialog.engine import PRIMED, QUESTIONS, Question, Turn, exhausted, question, starter, yes_no
from core.dialog.heard import Heard
from core.dialog.types import Choice, Reply, Say
from core.dialog.walkin import place_values
from core.dialog.whom import appointment_name
from core.errors import NotInQueue
from core.flows import Flow
from core.jobs.names import CHECK_QUEUE_NOTICES
from core.models import TicketStatus, WalkinTicket
from core.services import walkin
from prompts.format import numbers_text

PRIMED.update({Flow.REMINDER: "reminder_reply", Flow.QUEUE_NOTICE: "notice"})
REMINDER_KEYS = {1: "confirm", 2: "cancel", 3: "reschedule"}  # the reminder call's keypad


# ---- the reminder ---------------------------------------------------------------------------------------------


@starter(Flow.REMINDER.opening)
def reminder_call(t: Turn, _h: Heard | None) -> Reply:
    """The patient picked up our reminder call: the reminder, unless the appointment is no longer booked."""
    if _own(t, t.data.get("appointment_id")) is None:
        return t.end(Say("reminder_call_gone", {"clinic": t.clinic_name()}))
    return t.ask("reminder_reply")


def _reminder_values(t: Turn) -> dict:
    appointment = _own(t, t.data.get("appointment_id"))
    values = {"when": appointment_when(t, appointment) if appointment else "", "clinic": t.clinic_name()}
    name = appointment_name(t, appointment) if appointment else None
    return {**values, "name": name} if name else values


def _reminder_variant(t: Turn) -> str:
    """A phone that books for several people hears whose appointment it is ("le rendez-vous de Léa")."""
    appointment = _own(t, t.data.get("appointment_id"))
    return "_named" if appointment is not None and appointment_name(t, appointment) else ""


def _reminder_recognise(t: Turn, h: Heard) -> object | None:
    if t.voice and h.choice in REMINDER_KEYS and (h.keyed or h.intent == "choice"):
        return REMINDER_KEYS[h.choice]
    if h.intent == "cancel" and h.target != "walkin" and not h.date:
        return "cancel"
    if h.intent == "reschedule":
        return "reschedule"  # "pouvez-vous le changer pour lundi?": lundi is the new wish
    if h.intent == "yes" or (h.intent == "choice" and h.choice == 1):
        return "confirm"
    return None


def _reminder_act(t: Turn, answer: object) -> Reply:
    appointment = _own(t, t.data.get("appointment_id"))
    if appointment is None:
        t.state.data = {}
        return t.done(Say("reminder_gone", {"phone": t.clinic_phone()}))
    if answer == "cancel":
        # A text that says ANNULER means it; a key pressed on a call we placed is confirmed first.
        return act_on(t, appointment, "cancel") if t.voice else cancel_now(t, appointment)
    if answer == "reschedule":
        return act_on(t, appointment, "reschedule", new_wish(t, appointment))
    t.audit("appointment.confirmed_by_patient", subject=f"appointment:{appointment.id}")
    name = appointment_name(t, appointment)
    when = appointment_when(t, appointment)
    confirmed = (
        Say("reminder_confirmed_named", {"when": when, "name": name})
        if name
        else Say("reminder_confirmed", {"when": when})
    )
    if t.voice:  # our call: nothing else was asked for, so say goodbye rather than "anything else?"
        return t.end(confirmed, Say("reminder_call_bye", {"clinic": t.clinic_name()}))
    return t.done(confirmed)


def _reminder_choices(t: Turn) -> list[Choice]:
    if not t.voice:
        return []  # the SMS says "1" and ANNULER itself
    return [
        Choice("1", Say("choice_confirm_it"), "confirm"),
        Choice("2", Say("choice_cancel_it"), "cancel"),
        Choice("3", Say("choice_change_it"), "reschedule"),
        Choice("0", Say("menu_person"), "person"),  # the engine answers 0 on any phone question
    ]


def _reminder_exhausted(t: Turn) -> Reply:
    """No answer to our call: the appointment stays as it is; a text goes on as any other miss."""
    if t.voice:
        return t.end(Say("reminder_call_kept", {"clinic": t.clinic_name()}))
    return exhausted(t)


question(
    Question(
        name="reminder_reply",
        prompt="reminder_prompt",
        retry="reminder_retry",
        recognise=_reminder_recognise,
        act=_reminder_act,
        values=_reminder_values,
        choices=_reminder_choices,
        hints="hints_reminder",
        exhausted=_reminder_exhausted,
        silent_end=_reminder_exhausted,
        silence_retry=True,
        variant=_reminder_variant,
    )
)


# ---- the walk-in notice call ------------------------------------------------------------------------------------


def _ticket(t: Turn) -> WalkinTicket | None:
    ticket = t.session.get(WalkinTicket, t.data.get("ticket_id"))
    if ticket is None or ticket.clinic_id != t.clinic.id or not ticket.is_active:
        return None
    return ticket


@starter(Flow.CALLED.opening)
def called_call(t: Turn, _h: Heard | None) -> Reply:
    """The patient picked up our call: staff are calling them now (the number, and the room when given)."""
    ticket = t.session.get(WalkinTicket, t.data.get("ticket_id"))
    if ticket is None or ticket.clinic_id != t.clinic.id or ticket.status != TicketStatus.CALLED:
        return t.end(Say("notice_gone", {"clinic": t.clinic_name()}))
    values = {"clinic": t.clinic_name(), "number": str(ticket.number)}
    if ticket.room:
        return t.end(Say("called_call_room", {**values, "room": ticket.room}))
    return t.end(Say("called_call", values))


@starter(Flow.QUEUE_NOTICE.opening)
def notice_call(t: Turn, _h: Heard | None) -> Reply:
    """The patient picked up: the notice, unless the place is no longer active."""
    ticket = _ticket(t)
    if ticket is None:
        return t.end(Say("notice_gone", {"clinic": t.clinic_name()}))
    family = [m for m in walkin.group_of(t.session, ticket) if m.is_active]
    return t.ask("notice_group" if len(family) > 1 else "notice")


def _notice_values(t: Turn) -> dict:
    ticket = _ticket(t)
    values = place_values(t, ticket) if ticket else {"number": "", "ahead": "", "time": ""}
    group = [m for m in walkin.group_of(t.session, ticket) if m.is_active] if ticket else []
    if len(group) > 1:  # a family: every number of the group in the one call
        values["number"] = numbers_text([m.number for m in group], t.lang)
    values["clinic"] = t.clinic_name()
    return values


def _notice_recognise(t: Turn, h: Heard) -> object | None:
    if h.intent == "cancel":
        return "leave"
    answer = yes_no(t, h)
    if answer is not None:
        return "coming" if answer == "yes" else "leave"
    return None


def _notice_act(t: Turn, answer: object) -> Reply:
    ticket = _ticket(t)
    if ticket is None:
        return t.end(Say("notice_gone", {"clinic": t.clinic_name()}))
    if answer == "leave":
        try:  # the call was for the group: everyone of it leaves
            for member in walkin.group_of(t.session, ticket):
                if member.is_active:
                    walkin.give_back(t.session, t.clinic, member, t.now, t.channel)
        except NotInQueue:
            return t.end(Say("notice_gone", {"clinic": t.clinic_name()}))
        t.enqueue(CHECK_QUEUE_NOTICES, t.clinic.id)
        return t.end(Say("walkin_left"), Say("goodbye", {"clinic": t.clinic_name()}))
    t.audit("walkin.coming", subject=f"ticket:{ticket.id}")
    return t.end(Say("notice_coming"))


question(
    Question(
        name="notice",
        prompt="notice",
        retry="notice_retry",
        recognise=_notice_recognise,
        act=_notice_act,
        values=_notice_values,
        choices=lambda t: [
            Choice("1", Say("choice_coming"), "coming"),
            Choice("2", Say("choice_leave"), "leave"),
        ],
        hints="hints_notice",
        matters=True,
        describe=lambda t, a: t.words("word_coming" if a == "coming" else "word_leave")[0],
        exhausted=lambda t: t.end(Say("notice_kept")),
        silent_end=lambda t: t.end(Say("notice_kept")),
        silence_retry=True,
    )
)
# A family's notice call: the same question, its numbers said in the plural.
question(replace(QUESTIONS["notice"], name="notice_group", prompt="notice_group"))
