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
    assert texter.state["q"] == "book_pick"
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
