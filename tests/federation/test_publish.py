"""Publishing: the manifest and NDJSON files are valid FHIR, follow the SMART Scheduling Links rules, and move with bookings."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from core.models import Slot, SlotStatus
from core.services import booking, patients, walkin
from tests.federation.fhir_checks import booking_phone, capacity, check_data_set, check_manifest, parse_ndjson
from tests.support.arrange import book

BASE = "http://localhost"


def fetch_all(client) -> tuple[dict, dict[str, list]]:
    manifest = client.get("/fhir/$bulk-publish")
    assert manifest.status_code == 200
    assert manifest.mimetype == "application/json"
    body = manifest.get_json()
    urls = check_manifest(body, f"{BASE}/fhir/$bulk-publish")
    found = {}
    for kind, (url,) in urls.items():
        response = client.get(url.removeprefix(BASE), headers={"Accept": "application/fhir+ndjson"})
        assert response.status_code == 200
        assert response.mimetype == "application/fhir+ndjson"
        found[kind] = parse_ndjson(kind, response.get_data(as_text=True))
    return body, found


def test_the_published_files_are_valid_fhir_and_follow_the_manifest_rules(client, signed_rt):
    _manifest, found = fetch_all(client)
    check_data_set(found["Location"], found["Schedule"], found["Slot"])
    assert {loc.id for loc in found["Location"]} == {"parc", "westmount"}
    parc = next(loc for loc in found["Location"] if loc.id == "parc")
    assert (float(parc.position.latitude), float(parc.position.longitude)) == (45.5225, -73.601)
    assert parc.address.postalCode == "H2V 4H1"
    assert {s.id for s in found["Schedule"]} == {"parc-appointments", "parc-walkin", "westmount-appointments"}
    by_schedule = {}
    for slot in found["Slot"]:
        by_schedule.setdefault(slot.schedule.reference, []).append(slot)
    assert {booking_phone(s) for s in by_schedule["Schedule/parc-appointments"]} == {"+15145550100"}
    assert {booking_phone(s) for s in by_schedule["Schedule/westmount-appointments"]} == {"+15145550200"}
    starts = sorted(s.start for s in by_schedule["Schedule/parc-appointments"])
    now = signed_rt.now()
    assert now < starts[0] <= now + dt.timedelta(hours=1)  # from now on…
    assert now + dt.timedelta(days=13) < starts[-1] < now + dt.timedelta(days=14)  # …for the next 14 days


def test_the_manifest_is_served_with_or_without_an_accept_header(client):
    plain = client.get("/fhir/$bulk-publish")
    asked = client.get("/fhir/$bulk-publish", headers={"Accept": "application/json"})
    assert plain.get_json() == asked.get_json()
    assert (
        client.get("/fhir/Slot.ndjson").data
        == client.get("/fhir/Slot.ndjson", headers={"Accept": "application/fhir+ndjson"}).data
    )


def test_todays_walk_in_is_one_slot_with_the_places_left_as_its_capacity(client, signed_rt):
    _, found = fetch_all(client)
    (today,) = [s for s in found["Slot"] if s.schedule.reference == "Schedule/parc-walkin"]
    assert today.status == "free"
    assert capacity(today) == 30
    assert today.appointmentType.coding[0].code == "WALKIN"
    assert today.end.hour == 17  # until the queue closes, in the clinic's own offset
    with signed_rt.session_factory.begin() as session:
        clinic = session.get(__import__("core.models", fromlist=["Clinic"]).Clinic, "parc")
        for n in range(30):
            walkin.join_walkin_queue(
                session,
                clinic,
                patients.get_or_create_patient(session, f"+1514555{n:04d}"),
                "sms",
                signed_rt.now(),
            )
    _, found = fetch_all(client)
    (full,) = [s for s in found["Slot"] if s.schedule.reference == "Schedule/parc-walkin"]
    assert full.status == "busy"
    assert capacity(full) == 0


def test_a_booked_slot_is_busy_in_the_files_at_once_and_the_etag_changes(client, signed_rt):
    first = client.get("/fhir/Slot.ndjson")
    etag = first.headers["ETag"]
    assert client.get("/fhir/Slot.ndjson", headers={"If-None-Match": etag}).status_code == 304
    assert "max-age=60" in first.headers["Cache-Control"]
    published_id = f"parc-{book(signed_rt, '+15145551234').slot_id}"
    again = client.get("/fhir/Slot.ndjson", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    (line,) = [
        json.loads(x) for x in again.get_data(as_text=True).splitlines() if f'"id":"{published_id}"' in x
    ]
    assert line["status"] == "busy"


def test_the_transaction_time_moves_only_when_the_data_does(client, signed_rt, clock):
    before = client.get("/fhir/$bulk-publish").get_json()["transactionTime"]
    assert client.get("/fhir/$bulk-publish").get_json()["transactionTime"] == before
    with signed_rt.session_factory.begin() as session:
        slot = session.scalars(
            select(Slot)
            .where(Slot.status == SlotStatus.FREE, Slot.starts_at > signed_rt.now())
            .order_by(Slot.starts_at)
        ).first()
        booking.hold_slot(session, slot.id, "sms:test", signed_rt.now())
    clock.advance(seconds=5)
    after = client.get("/fhir/$bulk-publish").get_json()["transactionTime"]
    assert after > before


def test_the_manifest_names_the_public_base_url_behind_a_proxy(signed_rt):
    from clinicline.app import create_app

    signed_rt.config = signed_rt.config.with_(public_base_url="https://clinique.example.org")
    client = create_app(runtime=signed_rt).test_client()
    manifest = client.get("/fhir/$bulk-publish").get_json()
    assert manifest["request"] == "https://clinique.example.org/fhir/$bulk-publish"
    assert {o["url"] for o in manifest["output"]} == {
        f"https://clinique.example.org/fhir/{k}.ndjson" for k in ("Location", "Schedule", "Slot")
    }


def test_no_patient_detail_is_ever_published(client, signed_rt):
    book(signed_rt, "+15145551234", person="Marie Tremblay")
    everything = "".join(
        client.get(f"/fhir/{k}.ndjson").get_data(as_text=True) for k in ("Location", "Schedule", "Slot")
    )
    assert "Tremblay" not in everything
    assert "5551234" not in everything
