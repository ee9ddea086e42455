"""Answer what was already done: a patient who repeats the answer that completed a flow gets its outcome again.

A reply can be lost after its turn committed (the process died before answering, the carrier dropped
the SMS). Twilio's retry of the same MessageSid gets the stored answer (core.webhooks); but a patient who
texts "OUI" again sends a new message, which would otherwise read as a bare "yes" and get the menu. So a
turn that completes a booking (or a change) remembers it in the conversation's state, in the same
transaction, and a later turn that says the same thing while no question is pending is told the outcome
again: the day, the clinic and the confirmation code. It lasts as long as the conversation (idle expiry).

A repeated walk-in request needs nothing here: the walk-in flow already answers "you are number N".
"""

from __future__ import annotations

from core.models import Appointment, AppointmentStatus

OUTCOMES = ("booked", "rescheduled")  # the prompt keys that tell the patient the outcome


def remember(turn, reply) -> None:
    """After a turn: keep what a booking turn did; any other turn (but a recall) forgets it."""
    booked = turn.booked
    said = [key for key in (say.key.removesuffix("_named") for say in reply.says) if key in OUTCOMES]
    if booked and said:
        turn.state.done = {"appointment_id": booked[-1], "reason": said[-1], "intent": _intent(turn)}
    elif not turn.state.recalled:
        turn.state.done = None
    turn.state.recalled = False


def answer(turn, heard):
    """The outcome told again, when nothing is pending and the patient repeats the completing answer; else None."""
    done = turn.state.done
    if not done or turn.state.question not in (None, "more"):
        return None
    if heard.keyed or heard.intent != done.get("intent") or heard.intent is None:
        return None  # a digit after a booking picks from the menu; only the same words repeat the answer
    appointment = turn.session.get(Appointment, done.get("appointment_id"))
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        turn.state.done = None
        return None
    if turn.phone is None or appointment.patient is None or appointment.patient.phone != turn.phone:
        return None  # only to the phone that booked it
    from core.dialog.book import local_when
    from core.dialog.types import Say
    from core.dialog.whom import appointment_name

    turn.state.recalled = True
    values = {
        "when": local_when(turn, appointment.starts_at),
        "clinic": turn.clinic_name(),
        "code": appointment.code,
    }
    reason = done.get("reason") or "booked"
    named = appointment_name(turn, appointment)  # "C'est réservé pour Léa", as it was said
    return turn.done(Say(reason + "_named", {**values, "name": named}) if named else Say(reason, values))


def _intent(turn) -> str | None:
    heard = turn.heard
    return heard.intent if heard is not None and not heard.keyed else None
