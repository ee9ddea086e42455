"""The waiting list by SMS, in French and English: join by keyword or in plain words, LISTE shows the entry,
QUITTER LISTE / LEAVE LIST leaves it, and yes to "voulez-vous être averti…?" when nothing suits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.models import Clinic, Slot, SlotStatus, WaitlistEntry
from smsbot.segments import segments as measure
from tests.dialog.conftest import JOHN, MARIE, Patient


def entries(runtime, phone: str = MARIE) -> list[WaitlistEntry]:
    with runtime.session_factory() as s:
        from core.models import Patient as Phone

        rows = s.scalars(
            select(WaitlistEntry)
            .join(Phone, Phone.id == WaitlistEntry.patient_id)
            .where(Phone.phone == phone)
        ).all()
        for row in rows:
            s.expunge(row)
        return list(rows)


def no_free_slots(runtime, clinic: str = "parc") -> None:
    with runtime.session_factory.begin() as s:
        s.execute(update(Slot).values(status=SlotStatus.BLOCKED))


def test_liste_joins_then_shows_then_quitter_liste_leaves(texter, runtime, clock):
    texter.send("LISTE")
    assert texter.keys == ["waitlist_joined"]
    assert texter.reply.lang == "fr"
    (entry,) = entries(runtime)
    assert entry.status == "waiting"
    assert entry.wish == {}
    assert entry.expires_at == clock() + dt.timedelta(days=14)
    assert "lun. 21 déc." in texter.text  # the patient is told until when (14 days, a clinic setting)
    assert "QUITTER LISTE" in texter.text
    assert measure(texter.text).segments <= 2

    texter.send("LISTE")
    assert texter.keys == ["waitlist_show"]
    assert len(entries(runtime)) == 1  # shown, not added twice

    texter.send("QUITTER LISTE")
    assert texter.keys == ["waitlist_left"]
    assert [e.status for e in entries(runtime)] == ["left"]

    texter.send("QUITTER LISTE")
    assert texter.keys == ["waitlist_not_on"]


def test_waitlist_and_leave_list_in_english(runtime, queue):
    john = Patient(runtime, "sms", phone=JOHN)
    john.send("WAITLIST")
    assert john.keys == ["waitlist_joined"]
    assert john.reply.lang == "en"
    assert "LEAVE LIST" in john.text
    assert "Mon Dec 21" in john.text
    john.send("WAITLIST")
    assert john.keys == ["waitlist_show"]
    john.send("LEAVE LIST")
    assert john.keys == ["waitlist_left"]
    assert john.reply.lang == "en"
    assert [e.status for e in entries(runtime, JOHN)] == ["left"]


@pytest.mark.parametrize(
    ("words", "lang"),
    [
        ("avertis-moi si ça se libère", "fr"),
        ("mets-moi sur la liste d'attente", "fr"),
        ("let me know if something opens up", "en"),
        ("please put me on the waiting list", "en"),
    ],
)
def test_plain_words_join_the_list(runtime, queue, words, lang):
    patient = Patient(runtime, "sms", phone=JOHN)
    patient.send(words)
    assert patient.keys == ["waitlist_joined"]
    assert patient.reply.lang == lang
    assert [e.status for e in entries(runtime, JOHN)] == ["waiting"]


def test_a_wish_said_with_the_keyword_is_kept(texter, runtime):
    texter.send("LISTE jeudi matin")
    assert texter.keys == ["waitlist_joined"]
    (entry,) = entries(runtime)
    assert entry.wish == {"date": "2026-12-10", "part": "morning"}
    assert "jeu. 10 déc." in texter.text
    assert "le matin" in texter.text


def test_nothing_free_offers_the_list_and_yes_joins_it(texter, runtime):
    no_free_slots(runtime)
    texter.send("RDV")
    assert texter.keys == ["slots_none", "waitlist_ask"]
    assert "OUI ou NON" in texter.text
    texter.send("oui")
    assert texter.keys == ["waitlist_joined"]
    assert [e.status for e in entries(runtime)] == ["waiting"]


def test_no_to_the_question_gives_the_way_back(texter, runtime):
    no_free_slots(runtime)
    texter.send("RDV").send("non")
    assert texter.keys == ["waitlist_no_thanks"]
    assert "LISTE" in texter.text
    assert "514-555-0199" in texter.text
    assert entries(runtime) == []


def test_none_of_the_offered_times_suit_then_the_list_with_that_wish(texter, runtime):
    texter.send("RDV jeudi matin")
    assert texter.state.question == "book_pick"
    texter.send("non")
    assert texter.keys == ["waitlist_none_suit", "waitlist_ask"]
    texter.send("oui")
    assert texter.keys == ["waitlist_joined"]
    (entry,) = entries(runtime)
    assert entry.wish == {"date": "2026-12-10", "part": "morning"}


def test_none_suit_and_no_asks_for_another_day(texter, runtime):
    texter.send("RDV jeudi matin").send("non").send("non")
    assert texter.keys == ["ask_day"]
    assert entries(runtime) == []


def test_in_english_nothing_within_the_limit_offers_the_list(runtime, queue):
    with runtime.session_factory.begin() as s:  # every Thursday slot is taken
        s.execute(update(Slot).where(Slot.clinic_id == "parc").values(status=SlotStatus.BLOCKED))
        s.execute(
            update(Slot)
            .where(Slot.clinic_id == "parc", Slot.starts_at > dt.datetime(2026, 12, 20, tzinfo=dt.UTC))
            .values(status=SlotStatus.FREE)
        )
    john = Patient(runtime, "sms", phone=JOHN)
    john.send("an appointment thursday at the latest")
    assert john.keys == ["slots_none_within", "waitlist_ask"]
    john.send("yes")
    assert john.keys == ["waitlist_joined"]
    assert "by Thu Dec 10 at the latest" in john.text


def test_the_walkin_queue_full_offers_to_be_told_of_a_place_today(texter, runtime):
    with runtime.session_factory.begin() as s:
        s.get(Clinic, "parc").walkin_capacity = 1
        s.execute(update(Slot).where(Slot.clinic_id == "westmount").values(status=SlotStatus.BLOCKED))
    Patient(runtime, "sms", phone=JOHN).send("SANS RDV")
    texter.send("SANS RDV")
    assert texter.keys[-1] == "waitlist_walkin_ask"
    texter.send("oui")
    assert texter.keys == ["waitlist_walkin_joined"]
    (entry,) = entries(runtime)
    assert entry.kind == "walkin"
    assert entry.status == "waiting"


def test_waitlist_replies_stay_gsm7_and_short(texter, runtime):
    for words in ("LISTE", "LISTE", "QUITTER LISTE", "QUITTER LISTE"):
        texter.send(words)
        m = measure(texter.text)
        assert m.encoding == "GSM-7", texter.text
        assert m.segments <= 2


# ---- waiting for an earlier slot while holding an appointment ------------------------------------------------

FRIDAY = dt.date(2026, 12, 11)


def holds_friday(runtime, phone: str = MARIE, lang: str = "fr") -> int:
    """The phone's first person holds Friday's 14:00 appointment; returns its id."""
    from core.services import booking
    from core.services.patients import get_or_create_patient
    from core.timeutil import local_to_utc

    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, phone, lang)
        at = local_to_utc(FRIDAY, dt.time(14, 0), parc.timezone)
        slots = booking.find_free_slots(
            s, parc, runtime.now(), booking.SlotQuery(date=FRIDAY, at=dt.time(14))
        ).slots
        (slot,) = [x for x in slots if x.starts_at == at]
        return booking.book(s, slot.id, patient, "sms", runtime.now()).id


@pytest.mark.parametrize(
    ("words", "lang", "held"),
    [
        ("avertis-moi si ça se libère plus tôt", "fr", "avant votre RDV du ven. 11 déc. à 14 h"),
        ("let me know if something opens up earlier", "en", "before your appt Fri Dec 11 at 2:00 PM"),
    ],
)
def test_asking_for_earlier_while_holding_an_appointment_waits_to_move_it(runtime, queue, words, lang, held):
    appointment_id = holds_friday(runtime, JOHN, lang)
    john = Patient(runtime, "sms", phone=JOHN)
    john.send(words)
    assert john.keys == ["earlier_joined"]
    assert john.reply.lang == lang
    assert held in john.text  # only earlier slots will come, and the appointment stays booked meanwhile
    m = measure(john.text)
    assert m.encoding == "GSM-7", john.text
    assert m.segments <= 2, john.text
    (entry,) = entries(runtime, JOHN)
    assert entry.replaces_id == appointment_id
    assert entry.status == "waiting"


def test_offered_only_later_times_then_asking_to_be_told_earlier(texter, runtime):
    appointment_id = holds_friday(runtime)
    texter.send("RDV")
    assert texter.state.question == "book_pick"
    texter.send("avertis-moi si ça se libère plus tôt")
    assert texter.keys == ["earlier_joined"]
    (entry,) = entries(runtime)
    assert entry.replaces_id == appointment_id


def test_a_change_none_of_whose_times_suit_may_wait_for_an_earlier_one(texter, runtime):
    appointment_id = holds_friday(runtime)
    texter.send("CHANGER")
    assert texter.state.question == "book_pick"
    assert texter.state.data["replaces"] == appointment_id
    texter.send("non")
    assert texter.keys == ["waitlist_none_suit", "waitlist_ask"]  # a change may wait now: it carries the RDV
    texter.send("oui")
    assert texter.keys == ["earlier_joined"]
    (entry,) = entries(runtime)
    assert entry.replaces_id == appointment_id


def test_a_change_that_does_not_wait_goes_on_with_another_day(texter, runtime):
    appointment_id = holds_friday(runtime)
    texter.send("CHANGER").send("non").send("non")
    assert texter.keys == ["ask_day"]
    assert texter.state.data["flow"] == "reschedule"
    assert texter.state.data["replaces"] == appointment_id
    assert entries(runtime) == []


def test_a_change_with_nothing_free_within_its_limit_offers_the_list(texter, runtime):
    appointment_id = holds_friday(runtime)
    with runtime.session_factory.begin() as s:  # nothing before Thursday's end is free
        s.execute(
            update(Slot)
            .where(Slot.clinic_id == "parc", Slot.starts_at < dt.datetime(2026, 12, 11, 5, tzinfo=dt.UTC))
            .values(status=SlotStatus.BLOCKED)
        )
    texter.send("CHANGER pour jeudi au plus tard")
    assert texter.keys[-2:] == ["slots_none_within", "waitlist_ask"]
    texter.send("oui")
    assert texter.keys == ["earlier_joined"]
    (entry,) = entries(runtime)
    assert entry.replaces_id == appointment_id
    assert entry.wish.get("na") == "2026-12-10"


def test_changing_a_household_members_appointment_waits_for_that_person(texter, runtime):
    from core.services import booking, people
    from core.services.patients import get_or_create_patient

    holds_friday(runtime)
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, MARIE, "fr")
        marc = people.person_for(s, patient, "Marc Tremblay", runtime.now())
        slot = booking.find_free_slots(
            s, parc, runtime.now(), booking.SlotQuery(date=dt.date(2026, 12, 10))
        ).slots[0]
        marcs = booking.book(s, slot.id, patient, "sms", runtime.now(), person=marc).id
        marc_id = marc.id
    texter.send("CHANGER")
    assert texter.keys[-1] == "pick_appointment"
    texter.send("1")  # Marc's Thursday, the soonest
    assert texter.state.data["replaces"] == marcs
    texter.send("non").send("oui")
    assert texter.keys == ["earlier_joined"]
    (entry,) = entries(runtime)
    assert (entry.person_id, entry.replaces_id) == (marc_id, marcs)


def test_a_wish_of_two_days_is_kept_on_the_list_and_either_day_suits_it(texter, runtime):
    from core.services.waitlist import matches

    texter.send("LISTE mercredi ou jeudi matin")
    assert texter.keys == ["waitlist_joined"]
    (entry,) = entries(runtime)
    assert entry.wish == {"date": "2026-12-09", "or": ["2026-12-10"], "part": "morning"}
    assert "mer. 9 déc. ou jeu. 10 déc." in texter.text
    tz, est = "America/Toronto", dt.timezone(dt.timedelta(hours=-5))

    def suits(day: int, hour: int) -> bool:
        return matches(entry.wish, dt.datetime(2026, 12, day, hour, 0, tzinfo=est), tz)

    assert suits(9, 9)
    assert suits(10, 9)
    assert not suits(11, 9)  # Friday was not said
    assert not suits(10, 14)  # nor the afternoon
