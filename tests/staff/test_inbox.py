"""A person by text: a patient who asks for someone lands in the clinic's inbox, and staff answer by SMS."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import InboxMessage, InboxThread, OutboundMessage, Patient
from prompts import render
from smsbot.segments import segments
from tests.staff.conftest import csrf, sign_in, text_of
from tests.support.apps import MARIE

LONG_CLINIC = "Clinique médicale familiale du Plateau-Mont-Royal"


@pytest.fixture
def runtime(both_databases):
    """The inbox holds on SQLite and on PostgreSQL."""
    return both_databases


def threads(runtime):
    with runtime.session_factory() as s:
        return [
            (t.reason, t.status, [(m.direction, m.body) for m in t.messages])
            for t in s.scalars(select(InboxThread).order_by(InboxThread.id))
        ]


@pytest.mark.parametrize(
    "asking",
    ["je veux parler à quelqu'un", "une vraie personne svp", "operator", "I want to talk to someone"],
)
def test_asking_for_a_person_by_text_opens_a_thread_with_the_conversation_so_far(texter, runtime, asking):
    texter("RDV")
    reply = texter(asking)
    assert "répondra ici par texto" in reply.text or "answer you here by text" in reply.text
    [(reason, status, lines)] = threads(runtime)
    assert (reason, status) == ("asked", "open")
    assert lines == [("in", "RDV"), ("in", asking)]


def test_three_misunderstandings_by_text_open_a_thread_too(texter, runtime):
    for nonsense in ("bonjour", "blablabla", "🙂🙂"):
        reply = texter(nonsense)
    assert "répondra ici par texto" in reply.text
    [(reason, _status, lines)] = threads(runtime)
    assert reason == "misunderstood"
    assert [body for _d, body in lines] == ["bonjour", "blablabla", "🙂🙂"]


def test_staff_answer_reaches_the_patient_and_the_next_texts_land_in_the_same_thread(
    texter, console, runtime, fake_twilio
):
    texter("je veux parler à quelqu'un")
    sign_in(console, "julie")
    listing = console.get("/staff/parc/inbox.json").get_json()
    assert listing["open"] == 1
    thread_id = listing["threads"][0]["id"]
    page = text_of(console.get(f"/staff/parc/inbox/{thread_id}"))
    assert "je veux parler à quelqu'un" in page

    console.post(
        f"/staff/parc/inbox/{thread_id}/reply",
        data={"csrf_token": csrf(console), "body": "Bonjour, ici Julie. Que puis-je faire pour vous ?"},
    )
    runtime.jobs.drain()
    [sent] = fake_twilio.messages_to(MARIE)
    assert sent["body"] == "Bonjour, ici Julie. Que puis-je faire pour vous ?"
    assert sent["from"] == "+15145550100"  # the clinic's Twilio number
    statuses = [
        m["status"] for m in console.get(f"/staff/parc/inbox/{thread_id}.json").get_json()["messages"]
    ]
    assert statuses == [None, "sent"]

    answer = texter("Mon rendez-vous de jeudi, je serai en retard")
    assert answer.messages == []  # a person answers, not the automated line
    lines = console.get(f"/staff/parc/inbox/{thread_id}.json").get_json()["messages"]
    assert [(m["direction"], m["body"]) for m in lines][-1] == (
        "in",
        "Mon rendez-vous de jeudi, je serai en retard",
    )

    console.post(f"/staff/parc/inbox/{thread_id}/close", data={"csrf_token": csrf(console)})
    assert texter("RDV").messages, "after closing, the automated line answers again"
    with runtime.session_factory() as s:
        assert s.scalar(select(InboxThread.status)) == "closed"
        assert s.scalar(select(OutboundMessage.purpose)) == "staff_reply"


def test_outside_opening_hours_the_patient_is_told_when_someone_will_read_it(texter, clock):
    clock.set_local(dt.date(2026, 12, 5), dt.time(22, 15))  # a Saturday night
    reply = texter("je veux parler à quelqu'un")
    assert "La clinique est fermée" in reply.text
    assert "lun. 7 déc. à 8 h" in reply.text
    assert "911" in reply.text


def test_words_of_emergency_in_an_open_thread_get_the_safety_line_at_once(texter, runtime):
    texter("parler à quelqu'un")
    reply = texter("j'ai une douleur à la poitrine")
    assert "911" in reply.text
    [(_r, _s, lines)] = threads(runtime)
    assert lines[-1] == ("in", "j'ai une douleur à la poitrine")


def test_stop_still_opts_out_while_a_thread_is_open(texter, runtime):
    texter("parler à quelqu'un")
    assert texter("STOP").messages == []
    with runtime.session_factory() as s:
        assert s.scalar(select(Patient.opted_out).where(Patient.phone == MARIE)) is True
        assert [m.body for m in s.scalars(select(InboxMessage))] == ["parler à quelqu'un"]


def test_an_empty_answer_is_not_sent(texter, console, runtime, fake_twilio):
    texter("parler à quelqu'un")
    sign_in(console, "julie")
    thread_id = console.get("/staff/parc/inbox.json").get_json()["threads"][0]["id"]
    page = console.post(
        f"/staff/parc/inbox/{thread_id}/reply",
        data={"csrf_token": csrf(console), "body": "   "},
        follow_redirects=True,
    )
    assert "rien n'a été envoyé" in text_of(page)
    runtime.jobs.drain()
    assert fake_twilio.messages_to(MARIE) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("key", ["inbox_opened", "inbox_opened_later", "inbox_opened_no_hours"])
def test_what_the_patient_is_told_fits_two_segments_with_a_long_clinic_name(lang, key):
    values = {"clinic": LONG_CLINIC, "phone": "514-555-0199", "when": "mer. 30 déc. à 13 h 30"}
    text = render(key, lang, "sms", **values)
    assert segments(text).segments <= 2, (key, lang, segments(text))


@pytest.mark.parametrize(("keyword", "expect"), [("RDV", "1)"), ("MES RDV", "RDV à venir"), ("AIDE", "RDV")])
def test_a_keyword_while_a_thread_is_open_is_answered_by_the_line_and_shown_to_staff(
    texter, runtime, keyword, expect
):
    texter("je veux parler à quelqu'un")
    assert texter("pouvez-vous me rappeler?").messages == []  # a person reads plain words
    reply = texter(keyword)
    assert reply.messages, "the keyword the line told the patient to text is answered"
    assert expect in reply.text
    [(_r, status, lines)] = threads(runtime)
    assert status == "open"
    assert lines[-1] == ("in", keyword)


def test_a_booking_started_by_keyword_in_an_open_thread_runs_to_its_end_then_texts_go_to_the_thread(
    texter, runtime
):
    texter("parler à quelqu'un")
    offer = texter("RDV")
    assert "1)" in offer.text
    assert "votre nom" in texter("1").text
    assert "Je confirme?" in texter("Marie Tremblay").text
    assert "C'est réservé" in texter("oui").text
    assert texter("merci, et ma question de tantôt?").messages == []  # the exchange is over: to the thread
    [(_r, status, lines)] = threads(runtime)
    assert status == "open"
    assert [body for _d, body in lines] == [
        "parler à quelqu'un",
        "RDV",
        "merci, et ma question de tantôt?",
    ]
