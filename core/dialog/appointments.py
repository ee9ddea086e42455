"""A patient's upcoming appointments: list, cancel, change (a new slot booked before the old one is freed)."""

from __future__ import annotations

from core.dialog.book import (
    FLOW_INTENTS,
    appointment_when,
    moved_from,
    relative_wish,
    start_booking,
)
from core.dialog.engine import (
    STARTERS,
    Question,
    Turn,
    describe_yes_no,
    question,
    starter,
    yes_no,
    yes_no_choices,
)
from core.dialog.heard import Heard
from core.dialog.people import need_phone, release_hold
from core.dialog.types import Choice, Parts, Reply, Say
from core.dialog.whom import appointment_name, household, label, person_called
from core.errors import AppointmentNotCancellable, AppointmentNotFound
from core.models import Appointment, Person
from core.services import booking, people, walkin
from core.timeutil import to_local

CODES_SHOWN = 3  # the soonest three, with their codes, fit two SMS segments
SHOWN = 5  # a phone menu of more than five is not heard to the end; a text of more costs segments


def upcoming(t: Turn) -> list[Appointment]:
    patient = t.patient()
    if patient is None:
        return []
    return booking.upcoming_appointments(t.session, patient, t.clinic, t.now)[:SHOWN]


def _own(t: Turn, appointment_id) -> Appointment | None:
    """An appointment of this patient at this clinic that is still booked and ahead."""
    appointment = t.session.get(Appointment, appointment_id) if appointment_id else None
    patient = t.patient()
    if (
        appointment is None
        or patient is None
        or appointment.patient_id != patient.id
        or appointment.clinic_id != t.clinic.id
        or not appointment.is_upcoming(t.now)
    ):
        return None
    return appointment


@starter("list")
def list_appointments(t: Turn, h: Heard | None) -> Reply:
    """'MES RDV', 3 on the phone menu: the list, then what to do with one of them."""
    return choose(t, h, "manage")


@starter("code")
def tell_codes(t: Turn, h: Heard | None) -> Reply:
    """'c'est quoi mon code déjà?', 'I lost my confirmation number': each upcoming appointment with its code.

    Only to the number that shows itself (an SMS, a caller ID): a hidden caller could key in anyone's number,
    and the code is what the front desk asks for, so they are told the clinic's number instead."""
    if not t.ctx.phone:
        return t.done(Say("codes_hidden_caller", {"phone": t.clinic_phone()}))
    appointments = upcoming(t)
    if not appointments:
        return t.done(Say("no_appointments"))
    items = []
    for appointment in appointments[:CODES_SHOWN]:
        values = {"when": appointment_when(t, appointment), "code": appointment.code}
        name = appointment_name(t, appointment)
        items.append(Say("code_item_named", {**values, "name": name}) if name else Say("code_item", values))
    return t.done(Say("codes", {"items": Parts(tuple(items), sep="; ")}))


@starter("reschedule")
def change_appointment(t: Turn, h: Heard | None) -> Reply:
    """'CHANGER', 'reschedule'."""
    return choose(t, h, "reschedule")


@starter("cancel")
def cancel_something(t: Turn, h: Heard | None) -> Reply:
    """'ANNULER', 'cancel appt', 'annuler mon rdv de jeudi'; 'QUITTER' / 'leave' is the walk-in queue."""
    if h is not None and h.target == "walkin":
        return STARTERS["leave"](t, h)
    waiting = need_phone(t, "cancel")
    if waiting is not None:
        return waiting
    mid_booking = bool(t.data.get("slot")) and t.data.get("flow") == "book"
    unnamed = h is not None and h.target != "appointment"
    nothing_ahead = (mid_booking or unnamed) and not upcoming(t)  # read at most once
    if mid_booking and nothing_ahead:
        # "nvm cancel it" while the booking under way is read back or its name asked: nothing is kept
        release_hold(t)
        return t.done(Say("booking_stopped"))
    if unnamed and nothing_ahead:
        patient = t.patient()
        if walkin.active_ticket(t.session, t.clinic, patient, t.now) is not None:
            return STARTERS["leave"](t, h)
    return choose(t, h, "cancel")


def _day_of(t: Turn, appointment: Appointment):
    return to_local(appointment.starts_at, t.clinic.timezone).date()


def old_and_new(t: Turn, h: Heard | None, appointments: list[Appointment]) -> tuple[object, dict]:
    """A change said as a sentence: (the day of the appointment to move, the wish for the new one).

    "je pourrai pas jeudi, tu peux me le changer pour lundi": thursday is the old day, monday the new
    wish; "move it to friday morning": friday is the new wish. A day alone that is the day of one of the
    patient's appointments ("CHANGER jeudi") names that appointment when there are several to choose
    from; with only one, there is nothing to name, so the day is where it should go ("peux-tu le mettre
    vendredi" from a patient whose one appointment is on Friday: other times on Friday).
    """
    if h is None:
        return None, {}
    if h.old_date:
        return h.old_date, relative_wish(t, h)
    only_a_day = h.date and not (
        h.time or h.part_of_day or h.after or h.before or h.not_before or h.not_after
    )
    if (
        only_a_day
        and len(appointments) > 1
        and any(_day_of(t, a) == h.date for a in appointments)
        and h.span is None
    ):
        return h.date, {}
    return None, relative_wish(t, h)


def choose(t: Turn, h: Heard | None, purpose: str) -> Reply:
    """The appointment meant: the only one, the one on the day named, or a numbered choice."""
    waiting = need_phone(t, {"manage": "list", "cancel": "cancel", "reschedule": "reschedule"}[purpose])
    if waiting is not None:
        return waiting
    release_hold(t)
    if not t.ctx.phone:  # a hidden caller keyed in a number, which may be anyone's: a code proves it theirs
        return _ask_code(t, h, purpose)
    appointments = upcoming(t)
    if not appointments:
        return t.ask("offer_book", data={}, says=[Say("no_appointments")])
    wish: dict = {}
    day = None
    if purpose == "reschedule":
        day, wish = old_and_new(t, h, appointments)
    elif h is not None:
        day = h.old_date or h.date
    named, stranger = _person_named(t, h)
    theirs = [a for a in appointments if named is not None and a.person_id == named.id]
    if theirs:
        appointments = theirs  # "annuler le RDV de Léa": Léa's, then by day as for anyone
    elif named is not None and label(t, named):  # Léa has none: said before the others are offered
        t.lead.append(Say("no_appointment_for", {"name": label(t, named)}))
    elif stranger:  # "le RDV de Marc", no Marc here: said so, and what is offered says whose it is
        t.lead.append(Say("no_appointment_named", {"name": stranger}))
    whose = bool(stranger)
    if day is not None:
        same_day = [a for a in appointments if _day_of(t, a) == day]
        if len(same_day) == 1:
            return act_on(t, same_day[0], purpose, wish, whose=whose)
        if not same_day:
            t.lead.append(Say("no_appointment_that_day", {"date": day}))
    # A list of one is a question for nothing; on the phone every question costs seconds.
    if len(appointments) == 1 and (purpose != "manage" or t.voice):
        return act_on(t, appointments[0], purpose, wish, whose=whose)
    data = {"purpose": purpose, "appointment_ids": [a.id for a in appointments]}
    if wish:
        data["wish"] = wish
    if whose:
        data["whose"] = 1
    return t.ask("appt_pick", data=data)


# ---- a hidden caller's code ---------------------------------------------------------------------------------
#
# A number keyed in on the keypad is not proof of anything: anyone could key in a neighbour's and hear, cancel
# or move their appointments. So a hidden caller names the appointment by its confirmation code (said when it
# was booked, and in the booked text); the appointment must belong to the number keyed in too.

CODE_DIGITS = 6


def _ask_code(t: Turn, h: Heard | None, purpose: str) -> Reply:
    data: dict = {"purpose": purpose}
    if purpose == "reschedule":
        _day, wish = old_and_new(t, h, [])
        if wish:
            data["wish"] = wish
    return t.ask("appt_code", data=data)


def _code_recognise(t: Turn, h: Heard) -> object | None:
    raw = h.digits or "".join(c for c in h.text if c.isdigit())
    if raw == "0":
        return {"person": True}
    if len(raw) != CODE_DIGITS:
        return None
    patient = t.patient(create=False)
    appointment = booking.by_code(t.session, t.clinic.id, raw) if patient is not None else None
    if appointment is None or appointment.patient_id != patient.id or not appointment.is_upcoming(t.now):
        return None  # the same answer for a wrong code and another phone's: nothing is told about either
    return {"appointment_id": appointment.id}


def _code_act(t: Turn, answer: object) -> Reply:
    if answer.get("person"):
        return STARTERS["person"](t, None)
    appointment = t.session.get(Appointment, answer["appointment_id"])
    return act_on(t, appointment, t.data.get("purpose", "manage"), t.data.get("wish"))


question(
    Question(
        name="appt_code",
        prompt="ask_appt_code",
        retry="ask_appt_code_retry",
        expects="digits",
        recognise=_code_recognise,
        act=_code_act,
        max_digits=CODE_DIGITS,
    )
)


def _person_named(t: Turn, h: Heard | None) -> tuple[Person | None, str | None]:
    """The one person of the phone a sentence names ("le RDV de Léa", "de mon fils", "emmas appt"), and
    the name said when it names someone who is none of the phone's people ("le RDV de Marc", no Marc)."""
    if h is None or h.keyed or not h.text:
        return None, None
    everyone = household(t)
    named = people.named_in(everyone, h.text) if len(everyone) > 1 else []
    if len(named) == 1:
        return named[0], None
    for who in (h.whose, *(h.whom or ())):
        if who is None:
            continue
        if who.me:
            return (everyone[0] if everyone else None), None
        if who.name:  # found as booking for someone finds a person (core/dialog/whom.py)
            found = person_called(everyone, who.name, h.folded)
            if found is not None:
                return found, None
            return None, who.name
        kin = people.with_relation(everyone, who.relation)  # "le RDV de mon fils": the son booked for before
        if len(kin) == 1:
            return kin[0], None
    return None, None


def _named_values(t: Turn, appointment: Appointment | None, whose: bool = False) -> dict:
    """{"when"} of an appointment, with {"name"} when the phone books for several people, or when another
    name was said (`whose`): then even a phone of one person hears whose appointment it is."""
    if appointment is None:
        return {"when": ""}
    values = {"when": appointment_when(t, appointment)}
    name = appointment_name(t, appointment)
    if not name and (whose or t.data.get("whose")):
        name = label(t, appointment.person)
    if name:
        values["name"] = name
    return values


def _said(t: Turn, key: str, appointment: Appointment, whose: bool = False) -> Say:
    """A reply about one appointment, naming its person when the phone has several ("RDV de Léa")."""
    values = _named_values(t, appointment, whose)
    return Say(key + "_named" if "name" in values else key, values)


def _named_variant(t: Turn) -> str:
    appointment = (
        t.session.get(Appointment, t.data.get("appointment_id")) if t.data.get("appointment_id") else None
    )
    return "_named" if appointment is not None and "name" in _named_values(t, appointment) else ""


def act_on(
    t: Turn, appointment: Appointment, purpose: str, wish: dict | None = None, whose: bool = False
) -> Reply:
    """Cancel (asked first), change (the new slot booked before the old one is freed) or ask what to do.

    `whose`: another person's name was said, so every reply about this appointment names its person."""
    marked = {"whose": 1} if whose else {}
    if purpose == "cancel":
        return t.ask("cancel_confirm", data={"appointment_id": appointment.id, **marked})
    if purpose == "reschedule":
        intro = _said(t, "reschedule_intro", appointment, whose)
        wish = moved_from(t, appointment, wish)  # "une heure plus tard": from this one
        return start_booking(t, None, replaces=appointment.id, says=[intro], wish=wish or None)
    return t.ask("appt_action", data={"appointment_id": appointment.id, **marked})


def new_wish(t: Turn, appointment: Appointment) -> dict:
    """The new day a change asked for in this turn's words ("non, je veux le changer pour lundi")."""
    h = t.heard
    if h is None or h.keyed:
        return {}
    return moved_from(
        t, appointment, relative_wish(t, h, day=h.date not in (h.old_date, _day_of(t, appointment)))
    )


# ---- which one ----------------------------------------------------------------------------------------------------


def _pick_choices(t: Turn) -> list[Choice]:
    out = []
    for i, appointment_id in enumerate(t.data.get("appointment_ids", []), start=1):
        appointment = t.session.get(Appointment, appointment_id)
        if appointment is not None:
            out.append(Choice(str(i), _said(t, "appointment_label", appointment), str(i)))
    return out


def _pick_recognise(t: Turn, h: Heard) -> object | None:
    ids = t.data.get("appointment_ids", [])
    if h.choice is not None and (h.intent == "choice" or h.keyed) and 1 <= h.choice <= len(ids):
        return ids[h.choice - 1]
    if not h.keyed and h.text and h.intent not in FLOW_INTENTS:
        listed = [a for a in (t.session.get(Appointment, i) for i in ids) if a is not None]
        named, stranger = _person_named(t, h)
        theirs = [] if named is None else [a for a in listed if a.person_id == named.id]
        if h.date:
            theirs = [a for a in theirs if _day_of(t, a) == h.date]
        if len(theirs) == 1:
            return theirs[0].id  # "celui de Léa", "Marc jeudi"
        if stranger and not h.date:
            return {"stranger": stranger}  # "celui de Marc", no Marc listed: said so, the list again
    if h.date and h.intent not in FLOW_INTENTS:
        for appointment_id in ids:
            appointment = t.session.get(Appointment, appointment_id)
            if appointment and to_local(appointment.starts_at, t.clinic.timezone).date() == h.date:
                return appointment_id
    return None


def _pick_act(t: Turn, appointment_id: object) -> Reply:
    if isinstance(appointment_id, dict):
        t.lead.append(Say("no_appointment_named", {"name": appointment_id["stranger"]}))
        return t.ask("appt_pick", data={**t.data, "whose": 1})
    appointment = _own(t, appointment_id)
    if appointment is None:
        return choose(t, None, t.data.get("purpose", "manage"))
    purpose = t.data.get("purpose", "manage")
    return act_on(t, appointment, purpose, t.data.get("wish"), whose=bool(t.data.get("whose")))


def _pick_describe(t: Turn, appointment_id: object) -> str:
    if isinstance(appointment_id, dict):
        return str(appointment_id["stranger"])
    appointment = t.session.get(Appointment, appointment_id)
    return appointment_when(t, appointment) if appointment else ""


question(
    Question(
        name="appt_pick",
        prompt="pick_appointment",
        retry="pick_appointment_retry",
        recognise=_pick_recognise,
        act=_pick_act,
        lead=lambda t: [Say("appointments_" + t.data.get("purpose", "manage"))],
        choices=_pick_choices,
        matters=True,
        describe=_pick_describe,
        optional=True,
    )
)


# ---- what to do with it ------------------------------------------------------------------------------------------


def _appt_values(t: Turn) -> dict:
    return _named_values(t, t.session.get(Appointment, t.data.get("appointment_id")))


def _action_recognise(t: Turn, h: Heard) -> object | None:
    if h.choice in (1, 2, 3) and (h.intent == "choice" or h.keyed):
        return {1: "cancel", 2: "reschedule", 3: "keep"}[h.choice]
    if h.intent in ("cancel", "reschedule"):
        return h.intent
    if h.intent == "no" or h.keep:
        return "keep"
    return None


def _action_act(t: Turn, answer: object) -> Reply:
    appointment = _own(t, t.data.get("appointment_id"))
    if appointment is None:
        return choose(t, None, "manage")
    if answer == "keep":
        return t.done(_said(t, "kept", appointment))
    wish = new_wish(t, appointment) if answer == "reschedule" else None
    return act_on(t, appointment, str(answer), wish, whose=bool(t.data.get("whose")))


question(
    Question(
        name="appt_action",
        prompt="appointment_action",
        retry="appointment_action_retry",
        recognise=_action_recognise,
        act=_action_act,
        values=_appt_values,
        optional=True,
        choices=lambda t: [
            Choice("1", Say("choice_cancel_it"), "cancel"),
            Choice("2", Say("choice_change_it"), "reschedule"),
            Choice("3", Say("choice_keep_it"), "keep"),
        ],
        hints="hints_action",
        variant=_named_variant,
    )
)


# ---- cancelling ---------------------------------------------------------------------------------------------------


def _cancel_recognise(t: Turn, h: Heard) -> object | None:
    if h.intent == "reschedule":
        return "change"  # "non, je veux le changer": the change, never the cancel question again
    answer = yes_no(t, h)
    if answer is None and h.intent == "cancel" and not h.date:
        return "yes"  # "ANNULER" again: yes, cancel it
    return answer


def _cancel_describe(t: Turn, answer: object) -> str:
    if answer == "change":
        return t.words("word_change")[0]
    return describe_yes_no(t, answer)


def _cancel_act(t: Turn, answer: object) -> Reply:
    appointment = _own(t, t.data.get("appointment_id"))
    if appointment is None:
        return t.done(Say("cancel_failed", {"phone": t.clinic_phone()}))
    if answer == "change":
        return act_on(t, appointment, "reschedule", new_wish(t, appointment))
    if answer != "yes":
        return t.done(_said(t, "kept", appointment))
    return cancel_now(t, appointment)


def cancel_now(t: Turn, appointment: Appointment) -> Reply:
    """Cancel one of the patient's appointments and say so."""
    said = _said(t, "cancelled", appointment)
    try:
        booking.cancel(
            t.session, appointment.id, t.now, t.channel, patient_id=appointment.patient_id, actor=t.actor()
        )
    except (AppointmentNotFound, AppointmentNotCancellable):
        return t.done(Say("cancel_failed", {"phone": t.clinic_phone()}))
    return t.done(said)


question(
    Question(
        name="cancel_confirm",
        prompt="confirm_cancel",
        retry="confirm_cancel_retry",
        expects="yes_no",
        recognise=_cancel_recognise,
        act=_cancel_act,
        values=_appt_values,
        choices=yes_no_choices,
        hints="hints_yes_no",
        matters=True,
        describe=_cancel_describe,
        variant=_named_variant,
    )
)


# ---- nothing booked --------------------------------------------------------------------------------------------


def _offer_act(t: Turn, answer: object) -> Reply:
    if answer == "yes":
        return start_booking(t, None)
    return t.done(Say("ok"))


question(
    Question(
        name="offer_book",
        prompt="offer_book",
        retry="offer_book_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_offer_act,
        choices=yes_no_choices,
        hints="hints_yes_no",
        optional=True,
    )
)
