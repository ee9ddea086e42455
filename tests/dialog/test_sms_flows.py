"""Complete SMS conversations with the dialog engine, in French and English."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.dialog.state import DialogState
from core.models import AppointmentStatus, AuditEntry, Clinic, Slot, SlotStatus
from core.timeutil import local_day_bounds
from tests.dialog.conftest import JOHN, MARIE, Patient, RecordingQueue
from tests.dialog.helpers import THURSDAY, TUESDAY, offered_local, primed, slot_status
from tests.dialog.test_households import booked_for
from tests.support.arrange import book, booked, fill_day, patient, reminders, tickets
from tests.support.households import own_name

# ---- booking --------------------------------------------------------------------------------------------------


def test_booking_in_french_from_a_plain_sentence(texter, runtime):
    texter.send("je voudrais voir un médecin jeudi matin")
    assert texter.state.question == "book_pick"
    assert texter.reply.lang == "fr"
    assert texter.choice_digits() == ["1", "2", "3", "9"]
    assert "jeu. 10 déc. à 8 h" in texter.text  # the resolved date is read back

    texter.send("2")
    assert texter.keys == ["ask_name"]
    held = texter.state.data["slot"]
    assert slot_status(runtime, held) == SlotStatus.HELD

    texter.send("Marie Tremblay")
    assert texter.keys == ["booking_name", "confirm_slot"]
    assert "Clinique du Parc" in texter.text
    assert "jeu. 10 déc. à 8 h 15" in texter.text

    texter.send("oui")
    assert texter.keys == ["booked"]
    [appointment] = booked(runtime, MARIE)
    assert texter.value("booked", "code") == appointment.code
    assert "ANNULER" in texter.text
    assert "CANCEL" not in texter.text
    assert texter.effects == []  # the reminder was planned in the booking's own transaction
    assert reminders(runtime, appointment.id) == [("sms", "pending", True)]
    assert own_name(runtime, MARIE) == "Marie Tremblay"
    assert texter.state.question is None


def test_other_times_asked_in_words_offers_the_next_slots(texter):
    texter.send("je voudrais voir un médecin jeudi matin")
    first = list(texter.state.data["offered"])
    texter.send("d'autres moments svp")
    assert texter.state.question == "book_pick"
    assert not set(texter.state.data["offered"]) & set(first)


def test_a_name_texted_in_lower_case_is_kept_with_capitals(texter, runtime):
    texter.send("je voudrais voir un médecin jeudi matin").send("2").send("marie tremblay").send("oui")
    assert texter.keys == ["booked"]
    assert own_name(runtime, MARIE) == "Marie Tremblay"


def test_booking_in_english_remembers_the_name_and_asks_only_for_whom(texter, runtime):
    texter.send("anything tomorrow after 3?")
    assert texter.reply.lang == "en"
    assert "Tue Dec 8 at 3:00 PM" in texter.text
    texter.send("1").send("Mary Smith").send("yes")
    assert texter.keys == ["booked"]
    assert "CANCEL APPT" in texter.text

    texter.send("book thursday").send("the second one")
    assert texter.keys == ["ask_whom"]  # the phone has a person: for her, or for someone else?
    assert [c.label.values.get("name") for c in texter.reply.choices] == ["Mary Smith", None]
    texter.send("me")
    assert texter.keys == ["booking_name", "confirm_slot"]  # the name is known: not asked again
    assert texter.value("booking_name", "name") == "Mary Smith"
    texter.send("yes")
    assert len(booked(runtime, MARIE)) == 2


def test_a_bare_keyword_offers_the_first_free_slots_at_once(texter):
    texter.send("RDV")
    assert texter.state.question == "book_pick"
    assert texter.choice_digits() == ["1", "2", "3", "9"]


def test_others_offers_later_slots_and_a_new_day_searches_again(texter):
    texter.send("RDV jeudi matin")
    first = texter.state.data["offered"]
    texter.send("AUTRES")
    later = texter.state.data["offered"]
    assert later
    assert set(first).isdisjoint(later)
    texter.send("9")
    assert set(later).isdisjoint(texter.state.data["offered"])
    texter.send("plutôt vendredi après-midi")
    assert texter.state.data["wish"] == {"date": "2026-12-11", "part": "afternoon"}
    assert "ven. 11 déc. à 13 h" in texter.text


def test_nothing_on_the_day_asked_says_so_and_offers_the_first_slots_after_it(texter):
    texter.send("RDV samedi")  # the clinic gives no appointments on Saturdays
    assert texter.keys == ["slots_after_day", "pick_slot"]
    assert texter.value("slots_after_day", "date") == dt.date(2026, 12, 12)  # raw: the adapter words it
    assert "sam. 12 déc." in texter.text
    assert len(texter.reply.choices) == 4
    assert all("lun. 14 déc." in c for c in texter.text.splitlines()[2:5])  # never the Friday before


def test_saying_no_at_the_read_back_frees_the_slot_and_asks_for_another_day(texter, runtime):
    texter.send("RDV jeudi").send("1").send("Marie Tremblay")
    held = texter.state.data["slot"]
    texter.send("non")
    assert texter.keys == ["slot_released", "ask_day"]
    assert slot_status(runtime, held) == SlotStatus.FREE
    assert booked(runtime, MARIE) == []


def test_a_slot_taken_between_offer_and_choice_is_apologised_for(any_runtime):
    any_runtime.jobs = RecordingQueue()
    marie = Patient(any_runtime, "sms")
    marie.send("RDV jeudi matin")
    first = marie.state.data["offered"][0]
    book(any_runtime, JOHN, slot_id=first)
    marie.send("1")
    assert marie.keys == ["slot_taken", "pick_slot"]
    assert first not in marie.state.data["offered"]
    marie.send("1").send("Marie Tremblay").send("oui")
    assert marie.keys == ["booked"]


def test_a_slot_taken_between_hold_expiry_and_confirmation_offers_the_next_ones(any_runtime, clock):
    any_runtime.jobs = RecordingQueue()
    marie = Patient(any_runtime, "sms")
    marie.send("RDV jeudi matin").send("1").send("Marie Tremblay")
    held = marie.state.data["slot"]
    clock.advance(minutes=10)  # she went to look for her agenda; the hold ran out
    book(any_runtime, JOHN, slot_id=held)
    marie.send("oui")
    assert marie.keys == ["slot_taken", "pick_slot"]
    assert held not in marie.state.data["offered"]
    assert booked(any_runtime, MARIE) == []


def test_no_slot_at_all_gives_the_clinic_number(texter, runtime):
    with runtime.session_factory.begin() as session:
        session.execute(update(Slot).values(status=SlotStatus.BLOCKED))
    texter.send("RDV")
    assert texter.keys == ["slots_none", "waitlist_ask"]  # and to be told when one frees (the waiting list)
    assert "514-555-0199" in texter.text


# ---- appointments ------------------------------------------------------------------------------------------------


def test_listing_then_cancelling_one(texter, runtime):
    first = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff")
    texter.send("MES RDV")
    assert texter.keys == ["appointments_manage", "pick_appointment"]
    assert texter.choice_digits() == ["1", "2"]
    texter.send("1")
    assert texter.keys == ["appointment_action"]
    texter.send("1")
    assert texter.keys == ["confirm_cancel"]
    texter.send("oui")
    assert texter.keys == ["cancelled"]
    assert [a.id for a in booked(runtime, MARIE)] != [first]
    assert len(booked(runtime, MARIE)) == 1


def test_cancel_names_the_appointment_by_its_day(texter, runtime):
    book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff")
    thursday = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    texter.send("annuler mon rdv de jeudi")
    assert texter.keys == ["confirm_cancel"]
    assert texter.state.data == {"appointment_id": thursday}
    texter.send("oui")
    assert thursday not in [a.id for a in booked(runtime, MARIE)]


def test_cancel_in_english_and_keeping_it_after_all(texter, runtime):
    book(runtime, MARIE, day=THURSDAY, channel="staff")
    texter.send("please cancel my appointment")
    assert texter.reply.lang == "en"
    assert texter.keys == ["confirm_cancel"]
    texter.send("no")
    assert texter.keys == ["kept"]
    assert len(booked(runtime, MARIE)) == 1


def test_nothing_to_cancel_offers_to_book(texter):
    texter.send("ANNULER")
    assert texter.keys == ["no_appointments", "offer_book"]
    texter.send("oui")
    assert texter.state.question == "book_pick"


def test_rescheduling_books_the_new_slot_and_frees_the_old(texter, runtime):
    old = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    texter.send("CHANGER")
    assert texter.keys[0] == "reschedule_intro"
    assert texter.state.question == "book_pick"
    texter.send("vendredi matin").send("1")
    assert texter.state.question in ("book_name", "book_confirm")
    if texter.state.question == "book_name":
        texter.send("Marie Tremblay")
    texter.send("oui")
    assert texter.keys == ["rescheduled"]
    [new] = booked(runtime, MARIE)
    assert new.id != old
    assert new.replaces_id == old
    assert texter.effects == []
    assert reminders(runtime, new.id) == [("sms", "pending", True)]
    assert [status for _, status, _ in reminders(runtime, old)] in ([], ["withdrawn"])


def test_a_change_to_the_day_of_the_only_appointment_offers_other_times_that_day(texter, runtime):
    old = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    texter.send("peux-tu le mettre jeudi?")
    assert texter.keys[0] == "reschedule_intro"
    assert texter.state.question == "book_pick"
    assert texter.text.count("jeu. 10 déc.") == 1 + 3  # the appointment's day, and three times on it
    texter.send("2")
    if texter.state.question == "book_name":
        texter.send("Marie Tremblay")
    texter.send("oui")
    assert texter.keys == ["rescheduled"], texter.text
    [new] = booked(runtime, MARIE)
    assert new.replaces_id == old
    assert new.starts_at.date() == THURSDAY


def test_a_day_names_which_appointment_to_change_when_there_are_several(texter, runtime):
    book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff")
    thursday = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    texter.send("changer jeudi")
    assert texter.keys[0] == "reschedule_intro"
    assert texter.state.data["replaces"] == thursday


# ---- walk-in -------------------------------------------------------------------------------------------------


def test_walkin_join_position_and_leave(texter, runtime):
    john = Patient(runtime, "sms", phone=JOHN)
    john.send("SANS RDV")
    texter.send("SANS RDV")
    assert texter.keys == ["walkin_joined", "walkin_notice_sms"]
    assert texter.value("walkin_joined", "number") == "2"
    assert texter.value("walkin_joined", "ahead") == "1 personne avant vous"
    assert texter.value("walkin_joined", "time") == dt.time(9, 15)
    assert "9 h 15" in texter.text
    assert texter.effects == [("check_queue_notices", ("parc",))]

    texter.send("SANS RDV")
    assert texter.keys == ["walkin_already"]
    assert len(tickets(runtime, MARIE)) == 1

    john.send("QUITTER")
    texter.send("PLACE")
    assert texter.keys == ["walkin_place"]
    assert texter.value("walkin_place", "ahead") == "personne avant vous"
    texter.send("QUITTER")
    assert texter.keys == ["walkin_left"]
    assert tickets(runtime, MARIE)[0].status == "left"
    texter.send("position")
    assert texter.keys == ["walkin_not_in_queue", "offer_join"]


def test_walkin_in_english(runtime, queue):
    john = Patient(runtime, "sms", phone=JOHN)
    john.send("I'd like to join the walk-in queue")
    assert john.reply.lang == "en"
    assert john.keys == ["walkin_joined", "walkin_notice_sms"]
    assert "POSITION" in john.text
    assert "LEAVE" in john.text
    john.send("where am I")
    assert john.keys == ["walkin_place"]
    john.send("leave")
    assert john.keys == ["walkin_left"]


@pytest.mark.parametrize(
    ("joins", "says"),
    [
        ("SANS RDV", "je ne peux plus venir finalement"),
        ("SANS RDV", "j'ai un empêchement"),
        ("walk-in please", "I can't come anymore"),
        ("walk-in please", "sorry, I can no longer make it"),
    ],
)
def test_no_longer_coming_while_in_the_queue_leaves_it(texter, runtime, joins, says):
    texter.send(joins)
    assert texter.keys[0] == "walkin_joined"
    texter.send(says)
    assert texter.keys == ["walkin_left"]
    assert tickets(runtime, MARIE)[0].status == "left"


def test_walkin_before_opening_says_when_registration_opens(texter, clock):
    clock.set_local(dt.date(2026, 12, 7), dt.time(6, 30))
    texter.send("SANS RDV")
    assert texter.keys == ["walkin_not_open", "opens_today"]
    assert texter.value("opens_today", "time") == dt.time(7)
    assert "7 h" in texter.text


def test_walkin_full_says_when_it_reopens_and_gives_811(texter, runtime):
    with runtime.session_factory.begin() as session:
        session.get(Clinic, "parc").walkin_capacity = 1
        # No other clinic has room either (with room elsewhere, the region is offered: tests/federation).
        session.execute(update(Slot).where(Slot.clinic_id == "westmount").values(status=SlotStatus.BLOCKED))
    Patient(runtime, "sms", phone=JOHN).send("SANS RDV")
    texter.send("SANS RDV")
    assert texter.keys == ["walkin_full", "opens_tomorrow", "walkin_full_811", "waitlist_walkin_ask"]
    assert "811" in texter.text


def test_a_clinic_without_walkin_says_so(runtime, queue):
    john = Patient(runtime, "sms", clinic="westmount", phone=JOHN)
    john.send("walk-in")
    assert john.keys == ["walkin_unavailable"]
    assert "Westmount Family Clinic" in john.text
    assert tickets(runtime, JOHN) == []
    for asked in ("position", "leave"):  # nothing there to follow or leave, and no "text WALK-IN to join"
        john.send(asked)
        assert john.keys == ["walkin_unavailable"], asked


# ---- help, language, safety, opt-out -------------------------------------------------------------------------


def test_aide_is_answered_in_french_and_help_and_info_in_english(texter):
    texter.send("AIDE")
    assert texter.reply.lang == "fr"
    assert texter.keys == ["help"]
    assert "911" in texter.text
    assert "811" in texter.text
    assert "514-555-0199" in texter.text
    assert len(texter.text) <= 160
    texter.send("HELP")
    assert texter.reply.lang == "en"
    assert "Clinique du Parc" in texter.text
    texter.send("INFO")
    assert texter.reply.lang == "en"


def test_the_reply_follows_the_language_written_and_a_switch_is_remembered(texter, runtime):
    texter.send("I would like an appointment tomorrow")
    assert texter.reply.lang == "en"
    texter.send("FRANÇAIS")
    assert texter.reply.lang == "fr"
    assert texter.keys[0] == "language_set"
    assert texter.state.question == "book_pick"  # the pending question is asked again, now in French
    assert patient(runtime, MARIE).lang == "fr"
    texter.send("ENGLISH")
    assert patient(runtime, MARIE).lang == "en"
    call = Patient(runtime, "voice")
    call.call()
    assert call.reply.lang == "en"
    assert call.keys[:2] == ["greeting", "offer_french"]


def test_emergency_words_get_911_first_even_with_a_booking_request(texter, runtime):
    texter.send("j'ai une douleur à la poitrine, je veux un rdv")
    assert texter.keys[0] == "emergency"
    assert "911" in texter.text
    assert booked(runtime, MARIE) == []
    with runtime.session_factory.begin() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "dialog.emergency")) is not None


def test_emergency_in_the_middle_of_a_booking_comes_first_then_the_question_again(texter):
    texter.send("RDV jeudi").send("1").send("Marie Tremblay")
    texter.send("chest pain")
    assert texter.keys == ["emergency", "booking_name", "confirm_slot"]
    assert texter.state.question == "book_confirm"


def test_stop_opts_out_silently_until_start(texter, runtime):
    texter.send("STOP")
    assert texter.reply.says == []
    assert texter.text == ""
    assert patient(runtime, MARIE).opted_out
    texter.send("RDV")
    assert texter.text == ""
    texter.send("START")
    assert texter.keys == ["opted_in"]
    assert not patient(runtime, MARIE).opted_out


def test_a_bare_cancel_is_a_carrier_opt_out_not_a_cancellation(texter, runtime):
    book(runtime, MARIE, day=THURSDAY, channel="staff")
    texter.send("CANCEL")
    assert texter.text == ""
    assert patient(runtime, MARIE).opted_out
    assert len(booked(runtime, MARIE)) == 1


# ---- never a dead end --------------------------------------------------------------------------------------------


def test_three_misunderstandings_hand_the_texts_to_a_person(texter):
    texter.send("bonjour")
    assert texter.keys == ["menu"]  # first: what is possible
    texter.send("blablabla")
    assert texter.keys == ["menu_retry"]
    texter.send("🙂🙂")
    # A thread in the clinic's inbox (tests/staff/test_inbox.py), and the clinic's number.
    assert texter.keys == ["inbox_opened"]
    assert "514-555-0199" in texter.text
    assert texter.state.question is None


def test_an_answer_to_an_expired_question_is_told_so_kindly(texter, clock):
    texter.send("RDV jeudi")
    clock.advance(minutes=31)
    texter.send("1")
    assert texter.keys == ["expired", "menu"]
    assert texter.state.question == "menu"


def test_a_fresh_request_after_expiry_just_works(texter, clock):
    texter.send("RDV jeudi")
    clock.advance(minutes=31)
    texter.send("SANS RDV")
    assert texter.keys == ["walkin_joined", "walkin_notice_sms"]


def test_a_very_long_message_gets_a_polite_answer(texter):
    texter.send("bla " * 400)
    assert texter.keys == ["menu"]


def test_the_same_message_twice_acts_once(texter, runtime):
    texter.send("RDV jeudi").send("1").send("Marie Tremblay")
    texter.send("oui", event_key="sms:SM1")
    first = texter.text
    texter.send("oui", event_key="sms:SM1")
    assert texter.text == first
    assert len(booked(runtime, MARIE)) == 1


def test_two_clinics_keep_separate_conversations(runtime, queue):
    parc = Patient(runtime, "sms")
    westmount = Patient(runtime, "sms", clinic="westmount")
    parc.send("RDV jeudi")
    westmount.send("help")
    assert "Westmount Family Clinic" in westmount.text
    parc.send("1")
    assert parc.state.question == "book_name"


# ---- answers to a reminder ----------------------------------------------------------------------------------------


def _reminded(runtime, appointment_id):
    data = {"appointment_id": appointment_id}
    primed(runtime, channel="sms", phone=MARIE, flow="reminder", data=data, minutes=24 * 60)


def test_one_after_a_reminder_confirms_that_appointment(texter, runtime, clock):
    appointment = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    clock.advance(hours=20)
    _reminded(runtime, appointment)
    clock.advance(hours=2)  # long after the usual 30 idle minutes: the reminder keeps its context
    texter.send("1")
    assert texter.keys == ["reminder_confirmed"]
    assert len(booked(runtime, MARIE)) == 1


def test_annuler_after_a_reminder_cancels_that_appointment(texter, runtime):
    book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff")
    appointment = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    _reminded(runtime, appointment)
    texter.send("ANNULER")
    assert texter.keys == ["cancelled"]
    remaining = booked(runtime, MARIE)
    assert len(remaining) == 1
    assert remaining[0].id != appointment


def test_something_else_after_a_reminder_is_read_as_usual(texter, runtime):
    appointment = book(runtime, MARIE, day=THURSDAY, channel="staff").id
    _reminded(runtime, appointment)
    texter.send("SANS RDV")
    assert texter.keys == ["walkin_joined", "walkin_notice_sms"]
    assert booked(runtime, MARIE)[0].status == AppointmentStatus.BOOKED


# ---- language of bare keywords, and a broken flow ----------------------------------------------------------------


def test_a_bare_english_keyword_is_answered_in_english_and_later_messages_follow(texter, runtime):
    texter.send("WALK-IN")
    assert texter.reply.lang == "en"
    assert texter.keys == ["walkin_joined", "walkin_notice_sms"]
    assert patient(runtime, MARIE).lang == "en"  # notices about this place will be written in English


def test_a_chosen_language_outranks_a_bare_keyword_of_the_other(texter):
    texter.send("ENGLISH")
    texter.send("RDV")
    assert texter.reply.lang == "en"
    assert texter.state.question == "book_pick"


def test_a_bare_keyword_follows_the_language_of_the_conversation_not_the_first_one_ever_used(texter, runtime):
    texter.send("walk-in please")  # the first flow settles English for notices
    texter.send("LEAVE")
    texter.send("je voudrais un rdv jeudi")  # then the patient writes French
    assert texter.reply.lang == "fr"
    texter.send("ANNULER")
    assert texter.reply.lang == "fr"
    texter.send("AIDE")
    assert texter.reply.lang == "fr"


def test_booking_in_french_after_an_english_walk_in_writes_the_reminders_in_french(texter, runtime):
    texter.send("walk-in please")
    texter.send("LEAVE")
    assert patient(runtime, MARIE).lang == "en"
    texter.send("je voudrais un rdv jeudi").send("1").send("Marie Tremblay").send("oui")
    assert texter.keys == ["booked"]
    assert patient(runtime, MARIE).lang == "fr"


def test_a_bare_keyword_in_a_new_conversation_uses_the_remembered_language(texter, runtime, clock):
    texter.send("walk-in please")
    texter.send("LEAVE")
    clock.advance(days=2)  # that conversation is long gone; what is remembered of the patient stays
    texter.send("RDV")
    assert texter.reply.lang == "en"
    assert texter.state.question == "book_pick"


def test_a_failing_flow_costs_one_polite_sentence_and_nothing_half_done(texter, runtime, monkeypatch, caplog):
    from core.services import booking

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    texter.send("RDV jeudi").send("1").send("Marie Tremblay")
    monkeypatch.setattr(booking, "book", broken)
    texter.send("oui")
    assert texter.keys == ["sorry_error"]
    assert "514-555-0199" in texter.text
    assert texter.state == DialogState(lang="fr")
    assert booked(runtime, MARIE) == []
    assert "dialog turn failed" in caplog.text


def test_asking_for_other_times_in_plain_words_offers_later_slots(texter):
    texter.send("RDV jeudi matin")
    first = texter.text
    texter.send("avez-vous d'autres heures plus tard?")
    assert texter.state.question == "book_pick"
    assert "jeu. 10 déc. à 8 h 45" in texter.text
    assert texter.text != first


def test_next_month_offers_the_first_free_slots_from_then_on(texter, runtime):
    # Now is Monday 7 December. Friday 1 January is fully booked: "next month" still means any day of
    # January, so the first free slots are on Monday the 4th, with no "nothing free as asked".
    with runtime.session_factory() as session:
        start, end = local_day_bounds(dt.date(2027, 1, 1), "America/Toronto")
        first_day = session.scalars(
            select(Slot.id).where(Slot.starts_at >= start, Slot.starts_at < end)
        ).all()
    for i, slot_id in enumerate(first_day):  # other patients (one person is in one place at a time)
        book(runtime, f"+1514556{i:04d}", slot_id=slot_id)
    texter.send("RDV le mois prochain")
    assert texter.state.question == "book_pick"
    assert "lun. 4 janv." in texter.text
    assert "Rien" not in texter.text


# ---- a wish said again over an offer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("rdv jeudi", "plutôt l'après-midi"),
        ("un rendez-vous jeudi svp", "pas le matin"),
        ("appointment on thursday", "what about the afternoon"),
        ("can i book thursday", "not in the morning please"),
    ],
)
def test_a_time_of_day_said_over_an_offer_keeps_the_day_asked(texter, runtime, first, then):
    texter.send(first)
    assert {start.date() for start in offered_local(runtime, texter)} == {THURSDAY}
    texter.send(then)
    assert texter.state.question == "book_pick"
    offered = offered_local(runtime, texter)
    assert offered
    assert all(start.date() == THURSDAY and start.hour >= 12 for start in offered), offered


@pytest.mark.parametrize(
    ("first", "then"),
    [("rdv jeudi après-midi", "et vendredi?"), ("thursday afternoon please", "friday instead")],
)
def test_another_day_said_over_an_offer_keeps_the_time_of_day_asked(texter, runtime, first, then):
    texter.send(first)
    texter.send(then)
    offered = offered_local(runtime, texter)
    assert offered
    assert all(s.date() == THURSDAY + dt.timedelta(days=1) and s.hour >= 12 for s in offered), offered


@pytest.mark.parametrize(
    "text",
    [
        "rdv jeudi mais pas le matin",
        "je travaille le matin, un rdv jeudi?",
        "thursday but not in the morning",
    ],
)
def test_a_part_of_the_day_ruled_out_is_not_offered(texter, runtime, text):
    texter.send(text)
    offered = offered_local(runtime, texter)
    assert offered
    assert all(s.date() == THURSDAY and s.hour >= 12 for s in offered), offered


@pytest.mark.parametrize("text", ["apointment tommorow afternon pls", "can i get an apointmnt thursday"])
def test_english_with_typos_is_answered_in_english_at_a_french_clinic(texter, text):
    texter.send(text)
    assert texter.reply.lang == "en"
    assert texter.state.question == "book_pick"


# ---- several people in one request ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ask", "first_name", "then", "second_name", "yes"),
    [
        ("rdv pour moi et mon fils jeudi", "Marc Roy", "RDV de votre fils", "Léo Roy", "oui"),
        ("un rendez-vous pour ma fille et moi jeudi svp", "Chloé Roy", "RDV pour vous", "Nadia Roy", "oui"),
        (
            "my husband and I both need appointments thursday",
            "Tom Brown",
            "your own appointment",
            "Anna Brown",
            "yes",
        ),
        ("appointments for me and my mother on thursday", "Anna Brown", "your mother's", "Rita Brown", "yes"),
    ],
)
def test_a_request_for_two_people_books_both_one_after_the_other(
    texter, runtime, ask, first_name, then, second_name, yes
):
    texter.send(ask)
    assert {start.date() for start in offered_local(runtime, texter)} == {THURSDAY}
    texter.send("1").send(first_name).send(yes)
    assert then in texter.text  # the first is booked, then the next person's slots are offered
    [(name, first_at)] = booked_for(runtime)
    assert name == first_name
    offered = offered_local(runtime, texter)
    assert offered
    assert all(start.date() == THURSDAY and start > first_at for start in offered), offered

    texter.send("1").send(second_name).send(yes)
    assert [name for name, _at in booked_for(runtime)] == [first_name, second_name]
    assert texter.state.question is None


def test_a_request_for_two_people_by_phone_books_both(caller, runtime):
    caller.call()
    caller.send("un rendez-vous pour ma fille et moi jeudi")
    caller.press("1").send("Chloé Roy").press("1")
    assert "Maintenant, le rendez-vous pour vous" in caller.text
    caller.press("1").send("Nadia Roy").press("1")
    assert [name for name, _at in booked_for(runtime)] == ["Chloé Roy", "Nadia Roy"]
    assert caller.state.question == "sms_copy"  # the copy by text is offered once both are booked
    caller.press("1")
    copies = [ids for name, ids in caller.effects if name == "send_confirmation"]
    assert sorted(ids[0] for ids in copies) == sorted(a.id for a in booked(runtime))  # one text each


def test_a_request_for_two_children_books_each_and_names_them_the_next_time(texter, runtime):
    texter.send("rdv pour mes deux enfants jeudi").send("1")
    assert "votre enfant" in texter.text
    texter.send("Léa Roy").send("oui")
    assert "Maintenant, le RDV de votre enfant" in texter.text
    texter.send("1").send("Noé Roy").send("oui")
    assert [name for name, _at in booked_for(runtime)] == ["Léa Roy", "Noé Roy"]

    texter.send("rdv pour mes 2 enfants vendredi").send("1").send("oui")  # both known now: no name asked
    assert "Maintenant, le RDV de Noé" in texter.text
    texter.send("1").send("oui")
    friday = [name for name, at in booked_for(runtime) if at.date() == THURSDAY + dt.timedelta(days=1)]
    assert friday == ["Léa Roy", "Noé Roy"]


@pytest.mark.parametrize("text", ["rdv jeudi en fin de journée svp", "appointment thursday end of day"])
def test_the_end_of_the_day_offers_the_last_slots_of_a_clinic_that_closes_at_five(texter, runtime, text):
    texter.send(text)
    offered = offered_local(runtime, texter)
    assert offered
    assert all(s.date() == THURSDAY and s.time() >= dt.time(16, 0) for s in offered), offered


@pytest.mark.parametrize("text", ["aucun ne me convient", "aucune de ces options"])
def test_none_suits_at_the_waiting_list_question_does_not_join_it(texter, runtime, text):
    from core.models import WaitlistEntry

    texter.send("rdv jeudi soir")  # the clinic closes at 17 h: nothing that evening, the waiting list asked
    question = texter.state.question
    assert question.startswith("wait"), question
    texter.send(text)
    with runtime.session_factory() as session:
        assert session.scalars(select(WaitlistEntry)).all() == []
    assert texter.state.question != question


def test_a_texted_y_confirms_the_booking(texter, runtime):
    texter.send("rdv jeudi matin").send("1").send("Marie Tremblay").send("y")
    assert texter.keys == ["booked"]
    assert len(booked(runtime, MARIE)) == 1


@pytest.mark.parametrize(
    ("text", "key"), [("nvm cancel it", "booking_stopped"), ("annule ça", "booking_stopped")]
)
def test_cancelling_while_the_booking_is_under_way_stops_it_and_frees_the_slot(texter, runtime, text, key):
    texter.send("rdv jeudi matin").send("1")
    held = texter.state.data["slot"]
    texter.send(text)
    assert texter.keys == [key]
    assert slot_status(runtime, held) == SlotStatus.FREE
    assert booked(runtime, MARIE) == []


# ---- the confirmation code asked again ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("c'est quoi mon code déjà?", "Vos codes de confirmation: "),
        ("I lost my confirmation number", "Your confirmation codes: "),
        ("code?", "Vos codes de confirmation: "),
    ],
)
def test_the_codes_of_ones_appointments_are_told_again(texter, runtime, text, said):
    texter.send("rdv jeudi matin").send("1").send("Marie Tremblay").send("oui")
    [appointment] = booked(runtime, MARIE)
    texter.send(text)
    assert texter.keys == ["codes"]
    assert texter.text.startswith(said)
    assert appointment.code in texter.text


def test_asking_for_a_code_without_an_appointment_says_there_is_none(texter):
    texter.send("c'est quoi mon code de confirmation?")
    assert texter.keys == ["no_appointments"]


@pytest.mark.parametrize("text", ["plus tard", "un peu plus tard svp", "a bit later please"])
def test_later_over_an_offer_offers_later_times_and_picks_none(texter, text):
    texter.send("rdv jeudi matin")
    first = list(texter.state.data["offered"])
    texter.send(text)
    assert texter.state.question == "book_pick"
    assert "slot" not in texter.state.data
    assert not set(texter.state.data["offered"]) & set(first)


@pytest.mark.parametrize("text", ["le plus tard", "le dernier"])
def test_the_latest_one_picks_the_last_slot_offered(texter, text):
    texter.send("rdv jeudi matin")
    last = texter.state.data["offered"][-1]
    texter.send(text)
    assert texter.state.data["slot"] == last


def test_a_name_said_as_she_is_called_is_not_asked_again(texter, runtime):
    texter.send(
        "Bonjour je voudrais prendre rendez-vous pour ma mère, elle s'appelle Jeanne Lavoie, jeudi vers 10h"
    )
    texter.send("1")
    assert texter.keys[0] == "booking_name"  # read back for Jeanne Lavoie, not asked her name
    texter.send("oui")
    assert [name for name, _at in booked_for(runtime)] == ["Jeanne Lavoie"]


@pytest.mark.parametrize(
    ("ask", "yes"), [("rdv jeudi 14h", "oui"), ("appointment thursday at 2pm", "yes please")]
)
def test_yes_to_an_offer_that_holds_the_very_time_asked_takes_it(texter, runtime, ask, yes):
    texter.send(ask)
    offered = dict(zip(texter.state.data["offered"], offered_local(runtime, texter), strict=True))
    assert dt.time(14, 0) in {start.time() for start in offered.values()}
    assert len(offered) > 1
    texter.send(yes)
    assert offered[texter.state.data["slot"]].time() == dt.time(14, 0)


def test_yes_to_an_offer_without_a_time_asked_asks_which_one(texter):
    texter.send("rdv jeudi")
    texter.send("oui")
    assert texter.state.question == "book_pick"
    assert "slot" not in texter.state.data


@pytest.mark.parametrize("text", ["plus tôt svp", "anything earlier?"])
def test_earlier_over_an_offer_offers_sooner_slots_then_says_there_are_none(texter, runtime, text):
    texter.send("rdv jeudi")
    first = min(offered_local(runtime, texter))
    texter.send(text)
    sooner = offered_local(runtime, texter)
    assert sooner
    assert all(start < first for start in sooner), (first, sooner)

    texter.send(text)  # the soonest are offered already (the demo clinic's first free slots)
    assert texter.keys[0] == "no_earlier_slots"
    assert offered_local(runtime, texter) == sooner


WEDNESDAY = THURSDAY - dt.timedelta(days=1)


@pytest.mark.parametrize(
    "first", ["rdv mercredi ou jeudi", "je peux mercredi ou jeudi", "wednesday or thursday please"]
)
def test_two_days_that_would_do_are_both_offered_and_kept_over_the_offer(texter, runtime, first):
    texter.send(first)
    assert {start.date() for start in offered_local(runtime, texter)} == {WEDNESDAY, THURSDAY}
    texter.send("plutôt l'après-midi" if "rdv" in first or "peux" in first else "afternoon instead")
    offered = offered_local(runtime, texter)
    assert {start.date() for start in offered} == {WEDNESDAY, THURSDAY}, offered
    assert all(start.hour >= 12 for start in offered), offered


def test_when_one_of_two_days_is_full_the_other_is_offered_as_asked(texter, runtime):
    fill_day(runtime, WEDNESDAY)
    texter.send("rdv mercredi ou jeudi")
    assert texter.keys == ["pick_slot"], texter.text  # no "nothing free Wednesday"
    assert {start.date() for start in offered_local(runtime, texter)} == {THURSDAY}


def test_when_every_day_named_is_full_both_are_said_and_the_first_after_offered(texter, runtime):
    fill_day(runtime, WEDNESDAY)
    fill_day(runtime, THURSDAY)
    texter.send("rdv mercredi ou jeudi")
    assert "Rien de libre mer. 9 déc. ou jeu. 10 déc." in texter.text
    assert all(start.date() > THURSDAY for start in offered_local(runtime, texter))


def _book_for_son(texter, ask: str) -> None:
    texter.send(ask)
    texter.send("2")
    texter.send("Louis Tremblay")
    assert "réservé pour Louis" in texter.send("oui").text


@pytest.mark.parametrize("then", ["et pour moi le même jour", "pis moi aussi la même journée svp"])
def test_the_same_day_after_a_booking_offers_that_day(texter, runtime, then):
    _book_for_son(texter, "rdv pour mon fils mardi")
    texter.send(then)
    offered = offered_local(runtime, texter)
    assert offered
    assert {start.date() for start in offered} == {TUESDAY}, offered


def test_the_same_again_for_another_child_comes_nearest_the_time_booked(texter, runtime):
    _book_for_son(texter, "rdv pour mon fils jeudi 10h")  # 9 h 45, 10 h, 10 h 15: the 10 h one
    texter.send("pareil pour ma fille")
    offered = offered_local(runtime, texter)
    assert dt.datetime.combine(THURSDAY, dt.time(10, 0)) in offered  # the other practitioner's 10 h
    assert {start.date() for start in offered} == {THURSDAY}


def test_right_after_a_booking_offers_the_times_after_it_that_day(texter, runtime):
    _book_for_son(texter, "rdv pour mon fils jeudi 10h")
    texter.send("et ma fille juste après")
    offered = offered_local(runtime, texter)
    assert offered
    assert all(start.date() == THURSDAY and start.time() >= dt.time(10, 15) for start in offered), offered
    texter.send("1")
    assert "votre fille" in texter.text  # the daughter's name is asked: she is whom it is for


@pytest.mark.parametrize(
    ("ask", "yes", "no", "first", "second"),
    [
        ("rdv pour mes enfants jeudi", "oui", "non", "Léa Roy", "Noé Roy"),
        ("appointments for my kids on thursday", "yes", "no", "Amy Lee", "Ben Lee"),
    ],
)
def test_children_of_an_unsaid_number_are_each_booked_until_the_parent_says_no(
    texter, runtime, ask, yes, no, first, second
):
    texter.send(ask).send("1")
    assert texter.keys == ["ask_name_of"], texter.text  # the child's name, not the parent's
    texter.send(first).send(yes)
    assert texter.keys[-1] == "book_another"
    texter.send(yes)
    offered = offered_local(runtime, texter)
    [(_name, first_at)] = booked_for(runtime)
    assert offered
    assert all(start.date() == THURSDAY and start > first_at for start in offered)
    texter.send("1").send(second).send(yes)
    assert texter.keys[-1] == "book_another"
    texter.send(no)
    assert texter.state.question is None
    assert [name for name, _at in booked_for(runtime)] == [first, second]


def test_a_phone_that_booked_its_children_before_is_asked_which_one_each_time(texter, runtime):
    texter.send("rdv pour mes enfants jeudi").send("1").send("Léa Roy").send("oui").send("oui")
    texter.send("1").send("Noé Roy").send("oui").send("non")
    texter.send("rdv pour mes enfants vendredi").send("1")
    assert texter.keys == ["ask_whom"], texter.text
    texter.send("2").send("oui").send("oui").send("1")
    assert texter.keys == ["ask_whom"], texter.text
    texter.send("3").send("oui")
    friday = [name for name, at in booked_for(runtime) if at.date() == THURSDAY + dt.timedelta(days=1)]
    assert friday == ["Léa Roy", "Noé Roy"]


def test_on_the_phone_children_of_an_unsaid_number_get_one_text_copy_each(caller, runtime):
    caller.call()
    caller.send("un rendez-vous pour mes enfants jeudi")
    caller.press("1").send("Chloé Roy").press("1")
    assert caller.keys[-1] == "book_another"
    caller.press("1")
    assert "Maintenant, le rendez-vous de votre enfant" in caller.text
    caller.press("1").send("Jules Roy").press("1")
    caller.press("2")  # no one else
    assert caller.state.question == "sms_copy"
    caller.press("1")
    copies = sorted(ids[0] for name, ids in caller.effects if name == "send_confirmation")
    assert copies == sorted(a.id for a in booked(runtime))
    assert [name for name, _at in booked_for(runtime)] == ["Chloé Roy", "Jules Roy"]


@pytest.mark.parametrize(
    "then",
    ["none of those work, friday?", "aucun ne me convient, vendredi?", "d'autres moments vendredi svp"],
)
def test_others_asked_with_a_day_offer_that_day(texter, runtime, then):
    texter.send("rdv jeudi après-midi")
    texter.send(then)
    offered = offered_local(runtime, texter)
    assert offered
    assert all(s.date() == THURSDAY + dt.timedelta(days=1) and s.hour >= 12 for s in offered), offered


@pytest.mark.parametrize(("ask", "lang"), [("POSITION", "fr"), ("where am I in the line", "en")])
def test_place_asked_when_registration_is_closed_says_when_it_opens_instead_of_offering_it(
    texter, runtime, clock, ask, lang
):
    clock.set_local(dt.date(2026, 12, 6), dt.time(10, 0))  # a Sunday: no walk-in until Monday 7:00
    texter.send(ask)
    assert texter.keys == ["walkin_not_in_queue", "walkin_not_open", "opens_tomorrow"], texter.text
    assert texter.state.question is None
    assert texter.reply.lang == lang


@pytest.mark.parametrize("then", ["et pour moi aussi", "pis moi aussi svp", "me too"])
def test_me_too_right_after_a_booking_for_a_child_offers_that_day(texter, runtime, then):
    _book_for_son(texter, "rdv pour mon fils mardi")
    texter.send(then)
    offered = offered_local(runtime, texter)
    assert offered
    assert {start.date() for start in offered} == {TUESDAY}, offered


def test_a_yes_repeated_after_a_booking_for_a_child_tells_that_booking_again(texter, runtime):
    _book_for_son(texter, "rdv pour mon fils mardi")
    again = texter.send("oui")
    assert texter.keys == ["booked_named"], again.text
    assert texter.value("booked_named", "name") == "Louis"
    assert len(booked_for(runtime)) == 1


def _booked_thursday_at_ten(texter) -> None:
    texter.send("rdv jeudi 10h").send("2").send("Marie Tremblay")
    assert "réservé" in texter.send("oui").text


@pytest.mark.parametrize(
    ("ask", "expect"),
    [
        (
            "peux-tu le décaler d'une heure",
            lambda s: s.time() >= dt.time(10, 45) and s.time() <= dt.time(11, 15),
        ),
        (
            "can I push it an hour later",
            lambda s: s.time() >= dt.time(10, 45) and s.time() <= dt.time(11, 15),
        ),
        (
            "avancer mon rdv d'une demi-heure",
            lambda s: s.time() >= dt.time(9, 15) and s.time() <= dt.time(9, 45),
        ),
        ("peux-tu le mettre plus tard dans la même journée", lambda s: s.time() >= dt.time(10, 15)),
        ("je voudrais le mettre plus tôt", lambda s: dt.time(9, 15) <= s.time() < dt.time(10, 0)),
    ],
)
def test_a_change_counted_from_the_appointment_offers_that_day_around_it(texter, runtime, ask, expect):
    _booked_thursday_at_ten(texter)
    texter.send(ask)
    assert texter.state.data.get("replaces"), texter.text  # a change, not a new booking
    offered = offered_local(runtime, texter)
    assert offered
    assert all(s.date() == THURSDAY and expect(s) for s in offered), offered
