"""The dialog state as a conversation row keeps it (core/dialog/store.py), and rows written in the older form.

Before the state was typed, a row held `{"v": 1, "q": …, "d": {…}, "n": …}` with data keys such as `appt`,
`ticket` and `tickets`. A conversation under way at the upgrade must go on where it was: these tests write
rows in that form, exactly as the previous code stored them, and take the next turn.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.dialog import store
from core.dialog.state import DialogState
from core.flows import Flow
from core.models import AppointmentStatus, Conversation, SlotStatus
from tests.dialog.conftest import MARIE
from tests.dialog.helpers import THURSDAY, slot_status
from tests.support.arrange import appointments, book, booked, tickets


def _store_old_form(runtime, channel: str, key: str, old: dict, *, expired: bool = False) -> None:
    """Overwrite the patient's conversation row with a state in the first stored form."""
    now = runtime.now()
    expires = now - dt.timedelta(minutes=1) if expired else now + dt.timedelta(minutes=30)
    with runtime.session_factory.begin() as s:
        done = s.execute(
            update(Conversation)
            .where(Conversation.channel == channel, Conversation.phone == key)
            .values(state=old, updated_at=now, expires_at=expires)
        )
        assert done.rowcount == 1


def _stored(runtime, channel: str, key: str) -> dict:
    with runtime.session_factory() as s:
        row = s.scalar(select(Conversation).where(Conversation.channel == channel, Conversation.phone == key))
        return dict(row.state)


# ---- conversations under way at the upgrade ---------------------------------------------------------------------


def test_an_old_form_booking_in_progress_goes_on_to_the_booking(texter, runtime):
    texter.send("je voudrais voir un médecin jeudi matin")
    assert texter.state.question == "book_pick"
    data = dict(texter.state.data)  # the flow's own keys (offered, wish…) did not change names
    _store_old_form(runtime, "sms", MARIE, {"v": 1, "q": "book_pick", "d": data, "n": 0, "lang": "fr"})

    texter.send("2")
    assert texter.keys == ["ask_name"]
    assert texter.state.data["slot"] == data["offered"][1]
    assert slot_status(runtime, data["offered"][1]) == SlotStatus.HELD
    stored = _stored(runtime, "sms", MARIE)
    assert stored["v"] == store.VERSION
    assert stored["question"] == "book_name"
    assert "q" not in stored

    texter.send("Marie Tremblay").send("oui")
    assert texter.keys == ["booked"]
    assert [a.slot_id for a in booked(runtime, MARIE)] == [data["offered"][1]]


def test_an_old_form_cancel_question_cancels_the_appointment_it_named(texter, runtime):
    first = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    second = book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff").id
    texter.send("mes rendez-vous")  # a conversation row exists, as it did when the old form was written
    old = {"v": 1, "q": "cancel_confirm", "d": {"appt": second}, "n": 1, "lang": "fr", "wrote": "fr"}
    _store_old_form(runtime, "sms", MARIE, old)

    texter.send("oui")
    assert texter.keys == ["cancelled"]
    status = {a.id: a.status for a in appointments(runtime, MARIE)}
    assert status == {first: AppointmentStatus.BOOKED, second: AppointmentStatus.CANCELLED}


def test_an_old_form_question_that_idled_out_says_it_expired(texter, runtime):
    appointment = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    texter.send("mes rendez-vous")
    _store_old_form(
        runtime, "sms", MARIE, {"v": 1, "q": "cancel_confirm", "d": {"appt": appointment}}, expired=True
    )
    texter.send("oui")
    assert texter.keys[0] == "expired"
    assert [a.id for a in booked(runtime, MARIE)] == [appointment]  # nothing was cancelled by a stale "oui"


def test_an_old_form_walk_in_question_on_the_phone_sets_how_to_tell_every_ticket(caller, runtime):
    caller.call().press("2").press("1")
    assert caller.keys == ["walkin_joined", "walkin_notify"]
    (ticket,) = tickets(runtime, MARIE)
    old = {
        "v": 1,
        "q": "walkin_notify",
        "d": {"ticket": ticket.id, "tickets": [ticket.id]},
        "n": 0,
        "lang": "fr",
        "slow": False,
        "last": {"s": [{"k": "walkin_notify"}], "c": [], "e": "choice", "h": [], "m": 1, "l": "fr"},
    }
    _store_old_form(runtime, "voice", MARIE, old)

    caller.press("*")  # the last question, kept in the old form, is said again
    assert caller.keys == ["walkin_notify"]
    caller.press("2")
    assert caller.keys == ["walkin_notice_call", "more"]
    assert tickets(runtime, MARIE)[0].notify_by == "call"


def test_an_old_form_reminder_reads_the_answer_about_its_appointment(texter, runtime):
    book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff")
    appointment = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    texter.send("bonjour")
    old = {"v": 1, "q": "reminder_reply", "d": {"appointment_id": appointment}, "n": 0, "primed": "reminder"}
    _store_old_form(runtime, "sms", MARIE, old)

    texter.send("ANNULER")  # of two appointments, the one the reminder was about
    assert texter.keys == ["cancelled"]
    cancelled = [a.id for a in appointments(runtime, MARIE) if a.status == AppointmentStatus.CANCELLED]
    assert cancelled == [appointment]


# ---- the one place a state becomes JSON and back -------------------------------------------------------------


def test_a_fresh_state_is_stored_as_its_version_alone():
    assert store.dump(DialogState()) == {"v": store.VERSION}
    assert store.parse({"v": store.VERSION}) == DialogState()


def test_every_field_survives_a_round_trip():
    state = DialogState(
        question="book_pick",
        data={"offered": [1, 2, 3], "wish": {"date": "2026-12-10", "part": "morning"}},
        attempts=2,
        lang="en",
        primed=Flow.REMINDER,
        phone="+15145551234",
        last={"s": [{"k": "ask_day"}], "c": [], "e": "choice", "h": [], "m": 1, "l": "en"},
        slow=True,
        quiet=1,
        wrote="en",
        reached_by="call",
        recent=["rdv demain", "svp"],
        done={"appointment_id": 7, "reason": "booked", "intent": "yes"},
        recalled=True,
        late={"minutes": 15, "day": None, "who": None, "text": "10 min de retard"},
    )
    stored = store.dump(state)
    assert "expired" not in stored  # a fact of the turn that loaded it, never stored
    again = store.parse(stored)
    assert again == state
    assert isinstance(again.primed, Flow)


def test_the_old_form_reads_every_key_it_had():
    old = {
        "v": 1,
        "q": "late_minutes",
        "d": {"appt": 4},
        "n": 2,
        "lang": "en",
        "primed": "no_show",
        "phone": "+15145551234",
        "slow": True,
        "quiet": 2,
        "wrote": "en",
        "reached_by": "sms",
        "recent": ["late"],
        "done": {"appointment": 9, "reason": "rescheduled", "intent": "yes"},
        "recalled": True,
        "late_m": 20,
        "late_day": "2026-12-10",
        "late_who": "Léa",
        "late_text": "Léa sera en retard",
    }
    assert store.parse(old) == DialogState(
        question="late_minutes",
        data={"appointment_id": 4},
        attempts=2,
        lang="en",
        primed=Flow.NO_SHOW,
        phone="+15145551234",
        slow=True,
        quiet=2,
        wrote="en",
        reached_by="sms",
        recent=["late"],
        done={"appointment_id": 9, "reason": "rescheduled", "intent": "yes"},
        recalled=True,
        late={"minutes": 20, "day": "2026-12-10", "who": "Léa", "text": "Léa sera en retard"},
    )


@pytest.mark.parametrize(
    ("question", "data", "expected"),
    [
        ("appt_pick", {"purpose": "cancel", "ids": [3, 4]}, {"purpose": "cancel", "appointment_ids": [3, 4]}),
        ("book_who", {"ids": [11, 12], "slot": 5}, {"person_ids": [11, 12], "slot": 5}),
        ("sms_copy", {"appointment": 8, "reason": "booked"}, {"appointment_id": 8, "reason": "booked"}),
        ("queue_action", {"ticket": 2}, {"ticket_id": 2}),
        ("walkin_leave_which", {"tickets": [2, 3]}, {"ticket_ids": [2, 3]}),
        (
            "check",  # a doubtful spoken answer read back: its own keys, and those of the question it holds
            {"q": "appt_pick", "a": "1", "d": {"ids": [3], "purpose": "manage"}},
            {"question": "appt_pick", "answer": "1", "data": {"appointment_ids": [3], "purpose": "manage"}},
        ),
    ],
)
def test_old_data_key_names_read_as_todays(question, data, expected):
    assert store.parse({"v": 1, "q": question, "d": data}).data == expected


def test_an_unknown_version_or_flow_starts_afresh():
    assert store.parse({"v": 99, "question": "menu"}) is None
    assert store.parse({}) is None
    assert store.parse({"v": store.VERSION, "primed": "no_such_flow"}).primed is None


def test_a_loaded_state_is_a_copy_so_saving_sees_a_change_made_in_place():
    raw = {
        "v": store.VERSION,
        "question": "book_pick",
        "data": {"wish": {"part": "morning"}},
        "recent": ["a"],
    }
    state = store.parse(raw)
    state.data["wish"]["part"] = "evening"
    state.recent.append("b")
    assert raw == {
        "v": store.VERSION,
        "question": "book_pick",
        "data": {"wish": {"part": "morning"}},
        "recent": ["a"],
    }
    assert store.dump(state) != raw
