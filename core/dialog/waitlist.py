"""The waiting list in the dialog: join (LISTE, WAITLIST, "avertis-moi si ça se libère", or yes to "voulez-vous
être averti…?"), show (LISTE again), leave (QUITTER LISTE, LEAVE LIST), and the answer to an offer of a freed
slot — by SMS (the conversation is primed, so a bare OUI answers it) or on the call we place (1 takes it)."""

from __future__ import annotations

import datetime as dt

from core.dialog.book import wish_from
from core.dialog.engine import PRIMED, Question, Turn, question, starter, yes_no, yes_no_choices
from core.dialog.heard import Heard
from core.dialog.people import need_phone, release_hold
from core.dialog.types import Choice, Reply, Say
from core.dialog.walkin import place_values
from core.flows import Flow
from core.jobs.names import CHECK_QUEUE_NOTICES
from core.models import Appointment, WaitlistEntry, WalkinTicket
from core.services import people, waitlist
from core.timeutil import to_local

PRIMED.update({Flow.WAITLIST_OFFER: "waitlist_offer_reply"})


def enabled(t: Turn) -> bool:
    return waitlist.settings(t.clinic).enabled


def _until(t: Turn, entry: WaitlistEntry) -> dt.date:
    # The last day the entry still waits (an entry expiring at midnight waits through the day before).
    return to_local(entry.expires_at - dt.timedelta(seconds=1), t.clinic.timezone).date()


def _values(t: Turn, entry: WaitlistEntry) -> dict:
    from core.dialog.book import appointment_when

    held = waitlist.held_appointment(t.session, entry, t.now)
    return {
        "wish": waitlist.wish_parts(entry.wish or {}, t.lang, t.clinic.timezone),
        "until": _until(t, entry),
        "joined": to_local(entry.joined_at, t.clinic.timezone).date(),
        "clinic": t.clinic_name(),
        "held": appointment_when(t, held) if held is not None else "",
    }


def _has_wish(h: Heard | None) -> bool:
    return h is not None and bool(h.has_when or h.before or h.not_before or h.not_after)


# ---- asking -----------------------------------------------------------------------------------------------------


def ask_to_wait(t: Turn, wish: dict, says: list[Say], then: str = "done", kind: str = "appointment") -> Reply:
    """'Voulez-vous être averti si une place se libère?' after an answer that found nothing (or nothing suited).

    `then` is what a no leads to: "day" asks for another day, "done" ends the flow. Clinics with the list
    turned off, and callers without a number, get the answer without the question.
    """
    if not enabled(t) or not t.phone:
        if then == "day":
            kept = ("flow", "name", "wish", "replaces", "reason")
            return t.ask("book_day", data={k: v for k, v in t.data.items() if k in kept})
        return t.done(*says)
    data = {"wish": wish or {}, "then": then, "kind": kind}
    for key in ("name", "replaces", "reason"):  # a change waits to bring its appointment forward
        if t.data.get(key):
            data[key] = t.data[key]
    name = "waitlist_walkin_ask" if kind == "walkin" else "waitlist_ask"
    return t.ask(name, data=data, says=says)


def _ask_act(t: Turn, answer: object) -> Reply:
    data = dict(t.data)
    if answer == "yes":
        return join_now(
            t,
            data.get("wish") or {},
            kind=data.get("kind", "appointment"),
            name=data.get("name"),
            replaces=data.get("replaces"),
        )
    if data.get("then") == "day":
        kept = {k: v for k, v in data.items() if k in ("name", "wish", "replaces", "reason")}
        return t.ask("book_day", data=kept | {"flow": "reschedule" if data.get("replaces") else "book"})
    return t.done(Say("waitlist_no_thanks", {"phone": t.clinic_phone()}))


for _name, _prompt in (("waitlist_ask", "waitlist_ask"), ("waitlist_walkin_ask", "waitlist_walkin_ask")):
    question(
        Question(
            name=_name,
            prompt=_prompt,
            retry=_prompt + "_retry",
            expects="yes_no",
            recognise=yes_no,
            act=_ask_act,
            choices=yes_no_choices,
            hints="hints_yes_no",
            exhausted=lambda t: _ask_act(t, "no"),
        )
    )


# ---- joining, showing, leaving -------------------------------------------------------------------------------


def join_now(
    t: Turn, wish: dict, kind: str = "appointment", name: str | None = None, replaces: int | None = None
) -> Reply:
    """Put the phone's person (the one named while booking, else its first; a change's own person) on the
    list, and say until when. An entry of someone holding an appointment waits to bring it forward."""
    patient = t.patient()
    moved = t.session.get(Appointment, replaces) if replaces else None
    if moved is None or moved.patient_id != patient.id:
        moved = None
    if moved is not None:
        person = moved.person
    elif name:
        person = people.person_for(t.session, patient, name, t.now)
    else:
        person = people.first_person(t.session, patient, t.now)
    t.settle_language(patient)
    if t.voice and not t.can_text():
        patient.notify_by = "call"  # a landline: the offer will be a call
    entry, new = waitlist.join(
        t.session,
        t.clinic,
        patient,
        person,
        wish,
        t.channel,
        t.now,
        kind=kind,
        actor=t.actor(),
        replaces=moved.id if moved is not None else None,
    )
    if kind == "walkin":
        return t.done(Say("waitlist_walkin_joined"))
    values = _values(t, entry)
    if values["held"]:  # only earlier slots, and taking one moves the appointment held
        return t.done(Say("earlier_joined", values))
    return t.done(Say("waitlist_joined" if new else "waitlist_updated", values))


@starter("waitlist")
def start(t: Turn, h: Heard | None) -> Reply:
    """LISTE / WAITLIST, "mets-moi sur la liste d'attente": join, or show the entry already there."""
    waiting = need_phone(t, "waitlist")
    if waiting is not None:
        return waiting
    if not enabled(t):
        return t.done(Say("waitlist_off", {"phone": t.clinic_phone()}))
    release_hold(t)
    wish = wish_from(t, h) if _has_wish(h) else None
    patient = t.patient()
    entries = waitlist.waiting_entries(t.session, t.clinic.id, patient, t.now, kind="appointment")
    if entries and wish is None:
        return t.done(Say("waitlist_show", _values(t, entries[0])))
    booking_now = t.state.question in ("book_pick", "book_day")
    if wish is None:
        wish = (t.data.get("wish") or {}) if booking_now else {}
    # Mid-change ("avertis-moi si ça se libère plus tôt"): the entry waits to bring that appointment forward.
    return join_now(
        t, wish, name=t.data.get("name"), replaces=t.data.get("replaces") if booking_now else None
    )


@starter("waitlist_leave")
def leave(t: Turn, _h: Heard | None) -> Reply:
    """QUITTER LISTE / LEAVE LIST: every entry of the phone at this clinic leaves the list."""
    waiting = need_phone(t, "waitlist_leave")
    if waiting is not None:
        return waiting
    patient = t.patient()
    entries = waitlist.waiting_entries(t.session, t.clinic.id, patient, t.now)
    if not entries:
        return t.done(Say("waitlist_not_on"))
    for entry in entries:
        waitlist.leave(t.session, entry, t.now, t.channel, actor=t.actor())
    return t.done(Say("waitlist_left"))


# ---- the answer to an offer ------------------------------------------------------------------------------------


def _offer(t: Turn):
    return waitlist.find_offer(t.session, t.data.get("offer_id"), t.patient(create=False))


def _offer_values(t: Turn) -> dict:
    offer = _offer(t)
    if offer is None:
        return {"clinic": t.clinic_name(), "when": ""}
    values = waitlist.offer_values(t.session, offer, t.lang, now=t.now)
    values["clinic"] = t.clinic_name()
    if offer.slot_id is None:
        values["when"] = Say("waitlist_walkin_when")
    return values


@starter(Flow.WAITLIST_OFFER.opening)
def offer_call(t: Turn, _h: Heard | None) -> Reply:
    """The patient picked up our offer call: the offer, unless it is no longer open."""
    offer = _offer(t)
    if offer is None or offer.status != waitlist.OPEN or offer.expires_at <= t.now:
        return t.end(Say("waitlist_offer_gone", {"clinic": t.clinic_name()}))
    return t.ask("waitlist_offer_reply")


def _offer_recognise(t: Turn, h: Heard) -> object | None:
    if h.intent == "cancel" and h.target != "walkin":
        return "decline"
    answer = yes_no(t, h)
    if answer is not None:
        return "take" if answer == "yes" else "decline"
    return None


def _offer_act(t: Turn, answer: object) -> Reply:
    offer = _offer(t)
    if offer is None:
        t.state.data = {}
        return _finish(t, Say("waitlist_offer_expired"))
    if answer == "decline":
        waitlist.decline(t.session, offer, t.now)
        t.audit("waitlist.declined", subject=f"waitlist:{offer.entry_id}", offer_id=offer.id)
        return _finish(t, Say("waitlist_declined"))
    done = waitlist.accept(t.session, offer, t.now, t.channel)
    from core.dialog.book import appointment_when

    if done.outcome == "booked" and done.appointment is not None:
        appointment = done.appointment
        t.settle_language(appointment.patient)
        t.booked.append(appointment.id)  # its reminders were planned with it (booking.book)
        values = {
            "when": appointment_when(t, appointment),
            "clinic": t.clinic_name(),
            "code": appointment.code,
        }
        if done.moved:  # the appointment held was moved there: the reschedule's own words
            from core.dialog.whom import appointment_name

            named = appointment_name(t, appointment)
            said = (
                Say("rescheduled_named", {**values, "name": named}) if named else Say("rescheduled", values)
            )
        else:
            said = Say("booked", values)
        return _finish(t, said)
    if done.outcome == "not_earlier" and done.appointment is not None:
        return _finish(t, Say("earlier_not_sooner", {"when": appointment_when(t, done.appointment)}))
    if done.outcome == "booked" and done.ticket_id is not None:
        ticket = t.session.get(WalkinTicket, done.ticket_id)
        t.enqueue(CHECK_QUEUE_NOTICES, t.clinic.id)
        return _finish(t, Say("walkin_joined", place_values(t, ticket)))
    if done.outcome == "expired":
        return _finish(t, Say("waitlist_offer_expired"))
    if done.outcome == "declined":  # already booked at that very time: nothing to take
        return _finish(t, Say("self_already_booked"))
    return _finish(t, Say("waitlist_taken"))


def _finish(t: Turn, said: Say) -> Reply:
    if t.voice:  # our call: nothing else was asked for
        return t.end(said, Say("waitlist_call_bye"))
    return t.done(said)


def _offer_variant(t: Turn) -> str:
    """An offer that would move the appointment held says so ("_move")."""
    offer = _offer(t)
    if offer is None or offer.slot_id is None:
        return ""
    return "_move" if waitlist.held_appointment(t.session, offer.entry, t.now) is not None else ""


def _offer_choices(t: Turn) -> list[Choice]:
    # Keypad only: the SMS says OUI / NON itself.
    return [
        Choice("1", Say("choice_take_place"), "take", keypad_only=True),
        Choice("2", Say("choice_leave_place"), "decline", keypad_only=True),
    ]


def _offer_exhausted(t: Turn) -> Reply:
    """No answer understood: on our call the offer lapses by itself; by text the patient may still answer."""
    if t.voice:
        return t.end(Say("waitlist_offer_kept"))
    reply = t.ask("waitlist_offer_reply", retry=True)  # the offer stays open until it lapses by itself
    t.state.attempts = 0
    return reply


question(
    Question(
        name="waitlist_offer_reply",
        prompt="waitlist_offer_prompt",
        retry="waitlist_offer_retry",
        expects="yes_no",
        recognise=_offer_recognise,
        act=_offer_act,
        values=_offer_values,
        choices=_offer_choices,
        hints="hints_waitlist_offer",
        matters=True,
        describe=lambda t, a: t.words("word_yes" if a == "take" else "word_no")[0],
        exhausted=_offer_exhausted,
        silent_end=lambda t: t.end(Say("waitlist_offer_kept")),
        silence_retry=True,
        variant=_offer_variant,
    )
)
