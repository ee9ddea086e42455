"""Reaching a person (transfer or callback), a number keyed in when the caller ID is hidden, and read-backs."""

from __future__ import annotations

import re

from core.dialog.engine import (
    QUESTIONS,
    STARTERS,
    Question,
    Turn,
    question,
    starter,
    yes_no,
    yes_no_choices,
)
from core.dialog.heard import Heard, from_text
from core.dialog.inbox import hand_to_staff
from core.dialog.types import Choice, Reply, Say
from core.errors import InvalidPhoneNumber
from core.flows import Flow
from core.language.names import tidy_name
from core.models import CallbackRequest
from core.services import booking, patients
from core.services.clinics import is_open

_NOT_DIGIT = re.compile(r"\D")


def release_hold(t: Turn) -> None:
    """Give back a slot this conversation holds, and the slots just offered to it (the patient went elsewhere)."""
    slot_id = t.data.get("slot")
    if slot_id:
        booking.release_hold(t.session, slot_id, t.holder)
        t.data.pop("slot", None)
    if t.data.get("offered"):
        booking.release_offers(t.session, t.holder)
        t.data.pop("offered", None)


def need_phone(t: Turn, then: str) -> Reply | None:
    """None when the patient's number is known; else ask for it on the keypad, then carry on with `then`."""
    if t.phone:
        return None
    data = {"then": then}
    if t.heard is not None and t.heard.text and not t.heard.keyed:
        data["asked"] = t.heard.text  # "pour ma fille Léa demain": read again once the number is known
    return t.ask("phone_entry", data=data)


def _resume(t: Turn, data: dict) -> Reply:
    """Carry on with the request that waited for the number, with the words it was asked in."""
    asked = data.get("asked")
    h = from_text(asked, t.lang, t.local_now.replace(tzinfo=None)) if asked else None
    return STARTERS[data.get("then")](t, h)


# ---- a person --------------------------------------------------------------------------------------------------


def transfer_to_reception(t: Turn, say: Say, **detail) -> Reply | None:
    """Connect the caller to the reception while it takes calls (a forwarded call came from its busy line:
    not then), audited and with the conversation closed; None when no one is there to take it."""
    reception = t.clinic.reception_number
    if not reception or t.ctx.forwarded or not is_open(t.clinic, "appointments", t.now):
        return None
    t.audit("call.transferred", **detail)
    t.state.close()
    return t.reply([say], transfer_to=reception, ends=True)


@starter("person")
def person(t: Turn, h: Heard | None) -> Reply:
    """SMS: a thread in the clinic's inbox. Phone: the reception while open, else a callback if wanted."""
    release_hold(t)
    if not t.voice:  # by SMS: a thread in the clinic's inbox (core/dialog/inbox.py)
        return hand_to_staff(t, "asked")
    transfer = transfer_to_reception(t, Say("transfer"))
    if transfer is not None:
        return transfer
    if t.ctx.forwarded and h is not None and h.keyed and h.choice == 0:
        return callback(t, h)  # the forwarded line's menu says "0 for a callback": that is the request
    # A request is left only when the caller wants one: asked first.
    return t.ask("callback_ask", data={}, says=[Say("callback_offer")])


@starter("callback")
def callback(t: Turn, _h: Heard | None) -> Reply:
    """'Rappelez-moi', 'call me back' (or 0 on a forwarded line's menu): the name, then the request."""
    release_hold(t)
    if not t.voice:
        return t.done(Say("person_sms", {"clinic": t.clinic_name(), "phone": t.clinic_phone()}))
    return t.ask("callback_name", data={}, says=[Say("callback_offer")])


@starter(Flow.CALLBACK.opening)
def callback_after_transfer(t: Turn, _h: Heard | None) -> Reply:
    """The reception did not answer a transfer: offer the callback (left only if the caller says yes)."""
    return t.ask("callback_ask", data={}, says=[Say("callback_offer")])


def silent_way_out(t: Turn) -> Reply:
    """Three silences: the reception while open, else the clinic's number; never a callback not asked for."""
    release_hold(t)
    transfer = transfer_to_reception(t, Say("silence_transfer"), reason="silence")
    if transfer is not None:
        return transfer
    return t.end(Say("silence_end", {"clinic": t.clinic_name(), "phone": t.clinic_phone()}))


def _no_callback(t: Turn) -> Reply:
    return t.end(Say("no_callback_end", {"clinic": t.clinic_name(), "phone": t.clinic_phone()}))


question(
    Question(
        name="callback_ask",
        prompt="callback_ask",
        retry="callback_ask_retry",
        expects="yes_no",
        recognise=yes_no,
        act=lambda t, a: t.ask("callback_name", data={}) if a == "yes" else _no_callback(t),
        choices=yes_no_choices,
        hints="hints_yes_no",
        exhausted=_no_callback,
    )
)


def _name_recognise(t: Turn, h: Heard) -> object | None:
    if h.keyed:
        return {"skip": True} if h.intent == "skip" else None
    if h.name:  # "c'est Marc Gagnon": the name, not the sentence
        name = tidy_name(h.name)
        return {"name": name} if name else None
    if h.intent in ("yes", "no", "choice"):
        return None
    name = tidy_name(h.text)
    return {"name": name} if name else None


def _callback_act(t: Turn, answer: dict) -> Reply:
    name = answer.get("name")
    if not t.phone:
        return t.ask("phone_entry", data={"then": "callback", "name": name})
    return request_callback(t, name)


def request_callback(t: Turn, name: str | None) -> Reply:
    """Leave the patient's name and number for staff, and say goodbye."""
    t.session.add(CallbackRequest(clinic_id=t.clinic.id, phone=t.phone, name=name, reason="person"))
    t.audit("callback.requested")
    return t.end(Say("callback_done", {"phone": t.phone or ""}))


question(
    Question(
        name="callback_name",
        prompt="callback_name",
        retry="callback_name_retry",
        expects="name",
        recognise=_name_recognise,
        act=_callback_act,
        exhausted=lambda t: _callback_act(t, {}),
        silent_end=lambda t: _callback_act(t, {}),  # asked for: the number is enough to call back
    )
)


# ---- a number keyed in ------------------------------------------------------------------------------------------


def _phone_recognise(t: Turn, h: Heard) -> object | None:
    raw = h.digits or _NOT_DIGIT.sub("", h.text)
    if len(raw) < 10:
        return None
    try:
        return patients.normalize_phone(raw)
    except InvalidPhoneNumber:
        return None


def _phone_act(t: Turn, answer: object) -> Reply:
    data = dict(t.data)
    data["phone"] = answer
    return t.ask("phone_check", data=data)


def _no_number(t: Turn) -> Reply:
    """No usable number after three tries: a person if one is there, else the clinic's number."""
    transfer = transfer_to_reception(t, Say("transfer"), reason="no number")
    if transfer is not None:
        return transfer
    return t.end(Say("misses_end", {"clinic": t.clinic_name(), "phone": t.clinic_phone()}))


question(
    Question(
        name="phone_entry",
        prompt="ask_phone",
        retry="ask_phone_retry",
        expects="phone",
        recognise=_phone_recognise,
        act=_phone_act,
        max_digits=11,
        exhausted=_no_number,
    )
)


def _check_phone_act(t: Turn, answer: object) -> Reply:
    data = dict(t.data)
    if answer != "yes":
        data.pop("phone", None)
        return t.ask("phone_entry", data=data)
    t.state.phone = data["phone"]
    then = data.get("then")
    t.state.data = {}
    if then == "callback":
        return request_callback(t, data.get("name"))
    if patients.can_take_sms(data["phone"]):
        # A hidden caller's mobile: texts or calls, as they prefer (the caller ID told us nothing).
        return t.ask("reach_by", data={"then": then, "asked": data.get("asked")})
    return _resume(t, data)


def sms_or_call(t: Turn, h: Heard) -> object | None:
    """How the patient wants to be reached: 1 / words of texting -> "sms", 2 / words of calling -> "call"."""
    if h.choice in (1, 2) and (h.intent == "choice" or h.keyed):
        return "sms" if h.choice == 1 else "call"
    if h.notify_by in ("sms", "call"):  # core.language reads the words of texting or calling
        return h.notify_by
    return None


def _reach_act(t: Turn, answer: object) -> Reply:
    data = dict(t.data)
    patient = t.patient()
    if patient is not None:
        patient.notify_by = str(answer)
    t.state.data = {}
    t.state.reached_by = str(answer)  # asked once a call: the walk-in does not ask again
    return _resume(t, data)


question(
    Question(
        name="reach_by",
        prompt="reach_by",
        retry="reach_by_retry",
        recognise=sms_or_call,
        act=_reach_act,
        choices=lambda t: [
            Choice("1", Say("choice_by_sms"), "sms"),
            Choice("2", Say("choice_by_call"), "call"),
        ],
        hints="hints_notify",
        exhausted=lambda t: _reach_act(t, "sms"),
    )
)


question(
    Question(
        name="phone_check",
        prompt="check_phone",
        retry="check_phone_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_check_phone_act,
        values=lambda t: {"phone": t.data.get("phone", "")},
        choices=yes_no_choices,
        hints="hints_yes_no",
    )
)


# ---- a doubtful spoken answer, read back ---------------------------------------------------------------------


def _heard_value(t: Turn) -> dict:
    q = QUESTIONS.get(t.data.get("question"))
    answer = t.data.get("answer")
    said = q.describe(t, answer) if q and q.describe else ""
    return {"heard": said}


def _check_act(t: Turn, answer: object) -> Reply:
    original = t.data.get("question")
    pending, previous = t.data.get("answer"), t.data.get("data") or {}
    t.state.data = dict(previous)
    t.state.question = original
    if answer == "yes":
        return QUESTIONS[original].act(t, pending)
    return t.ask(original, data=dict(previous), retry=True)


question(
    Question(
        name="check",
        prompt="check_heard",
        retry="check_heard_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_check_act,
        values=_heard_value,
        choices=yes_no_choices,
        hints="hints_yes_no",
    )
)
