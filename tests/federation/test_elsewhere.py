"""A full clinic points the patient to a nearby one with room: by SMS with its number, by phone with a transfer."""

from __future__ import annotations

import pytest

from core.models import AuditEntry, PatientArea
from smsbot.segments import segments
from tests.support.apps import MARIE, PARC, TOKEN, WESTMOUNT
from tests.support.arrange import fill_day
from tests.support.twilio_requests import Texter
from tests.voice.walker import Call


def texter(client, to=WESTMOUNT):
    return Texter(client, TOKEN, MARIE, to, max_segments=3)


def test_a_full_clinic_asks_the_postal_area_once_then_offers_the_nearest_clinic_by_sms(client, signed_rt):
    fill_day(signed_rt, clinic="westmount")
    phone = texter(client)
    asked = phone("I need an appointment")
    assert "No free appointment here" in asked.text
    assert "postal code" in asked.text
    offered = phone("H3Z 2Y7")
    assert "Near H3Z:" in offered.text
    assert "Clinique du Parc (4 km): today 9:15 AM. To book there, text BOOK to 514-555-0100" in offered.text
    assert segments(offered.text).encoding == "GSM-7"
    with signed_rt.session_factory() as session:
        assert [a.fsa for a in session.query(PatientArea)] == ["H3Z"]  # only the area, never the full code
    again = phone("book")
    assert "postal code" not in again.text  # remembered
    assert "Near H3Z:" in again.text


def test_asking_for_elsewhere_in_french_offers_other_clinics_even_when_this_one_has_room(client, signed_rt):
    phone = texter(client, to=PARC)
    asked = phone("une autre clinique svp")
    assert "code postal" in asked.text
    offered = phone("toutes les cliniques")
    assert offered.text.startswith("Ailleurs:")
    assert (
        "Westmount Family Clinic: aujourd'hui 9 h 20. Pour y prendre RDV, texte RDV au 514-555-0200"
        in offered.text
    )


def test_a_postal_area_far_from_every_clinic_falls_back_to_the_soonest_ones(client, signed_rt):
    fill_day(signed_rt, clinic="westmount")
    phone = texter(client)
    phone("book")
    offered = phone("G1R")  # Québec City: 230 km away
    assert offered.text.startswith("Elsewhere:")  # Québec City is not near: the soonest instead
    assert "Clinique du Parc: today" in offered.text


def test_when_no_clinic_has_room_the_patient_gets_the_clinics_number_as_before(client, signed_rt):
    fill_day(signed_rt, clinic="westmount")
    fill_day(signed_rt, clinic="parc")
    with signed_rt.session_factory.begin() as session:  # and the walk-in queue of Parc is closed today
        from core.models import Clinic

        session.get(Clinic, "parc").walkin_enabled = False
    reply = texter(client)("book")
    assert "postal code" not in reply.text
    assert "No free appointment here" not in reply.text
    assert "514-555-0200" in reply.text


def test_by_phone_the_offer_is_read_out_and_1_transfers_to_that_clinic(client, signed_rt):
    fill_day(signed_rt, clinic="westmount")
    call = Call(client, auth_token=TOKEN, from_=MARIE, to=WESTMOUNT).start()
    call.press("1")  # book
    call.press("1")  # today
    assert any("postal code" in said for said in call.heard)
    call.say("H 3 Z")
    heard = " ".join(call.heard)
    assert (
        "Clinique du Parc, 4 kilometres away: today at 9:15 AM." in heard
        or "Clinique du Parc, 4 kilometres away: today" in heard
    )
    assert "To be transferred to Clinique du Parc, press 1." in heard
    call.press("1")
    assert call.state == "dial"
    assert call.dialled == PARC
    with signed_rt.session_factory() as session:
        assert session.query(AuditEntry).filter_by(action="call.transferred_elsewhere").count() == 1


def test_a_caller_can_key_the_postal_area_with_the_letters_on_the_keypad(client, signed_rt):
    fill_day(signed_rt, clinic="westmount")
    call = Call(client, auth_token=TOKEN, from_=MARIE, to=WESTMOUNT).start()
    call.press("1")
    call.press("1")
    call.press("439#")  # H-3-Z: H is on 4, Z on 9
    assert any("Clinique du Parc" in said for said in call.heard)
    with signed_rt.session_factory() as session:
        assert session.query(PatientArea).one().fsa.startswith("H3")


def test_a_caller_without_a_postal_code_presses_1_to_hear_all_clinics(client, signed_rt):
    fill_day(signed_rt, clinic="westmount")
    call = Call(client, auth_token=TOKEN, from_=MARIE, to=WESTMOUNT).start()
    call.press("1")
    call.press("1")
    call.press("1")
    assert any("To be transferred to Clinique du Parc, press 1." in said for said in call.heard)


def _neighbour_with(runtime, clinics: list[tuple[str, str, float, float]]) -> None:
    """A neighbour's files as the discovery job stores them: each clinic with one free slot tomorrow."""
    import datetime as dt

    from core.models import FederationFeed, FederationResource

    now = runtime.now()
    with runtime.session_factory.begin() as session:
        feed = FederationFeed(
            url="https://n.example/fhir/$bulk-publish", source="env", status="ok", ok_at=now
        )
        session.add(feed)
        session.flush()
        for i, (name, phone, lat, lon) in enumerate(clinics):
            start = now + dt.timedelta(days=1, hours=i)
            session.add_all([
                FederationResource(feed_id=feed.id, type="Location", resource_id=f"l{i}",
                                   data={"name": name, "phone": phone, "latitude": lat, "longitude": lon}),
                FederationResource(feed_id=feed.id, type="Schedule", resource_id=f"s{i}", parent_id=f"l{i}", data={}),
                FederationResource(feed_id=feed.id, type="Slot", resource_id=f"x{i}", parent_id=f"s{i}", free=True,
                                   starts_at=start, ends_at=start + dt.timedelta(minutes=15), data={"phone": phone}),
            ])  # fmt: skip


@pytest.mark.parametrize("lang_word", ["RDV", "I need an appointment"])
def test_three_offers_with_long_accented_names_stay_within_three_gsm7_segments(client, signed_rt, lang_word):
    fill_day(signed_rt, clinic="westmount")
    _neighbour_with(
        signed_rt,
        [
            (
                "Clinique médicale de l'Hôpital général du Montréal métropolitain",
                "+15145550300",
                45.52,
                -73.57,
            ),
            (
                "Groupe de médecine familiale Côte-des-Neiges–Notre-Dame-de-Grâce",
                "+15145550400",
                45.49,
                -73.62,
            ),
        ],
    )
    phone = texter(client)
    phone(lang_word)
    offered = phone("H3Z")
    assert len(offered.text.splitlines()) == 4  # the heading and three clinics
    count = segments(offered.text)
    assert count.segments <= 3, (count, offered.text)


def test_a_full_walkin_queue_points_to_clinics_with_room(client, signed_rt):
    from core.models import Clinic

    with signed_rt.session_factory.begin() as session:
        session.get(Clinic, "parc").walkin_capacity = 1
    Texter(client, TOKEN, "+15145559876", PARC, max_segments=3)("sans rdv")  # the one place goes
    phone = texter(client, to=PARC)
    full = phone("sans rendez-vous svp")
    assert "complète" in full.text
    assert "code postal" in full.text  # the region is offered, starting with the patient's area
    offered = phone("H3Z")
    assert "Westmount Family Clinic" in offered.text
    assert "514-555-0200" in offered.text
    assert segments(offered.text).segments <= 3
