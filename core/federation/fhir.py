"""SMART Scheduling Links resources (FHIR R4, built and checked with fhir.resources' R4B models).

The guide (HL7 SMART Scheduling Links, STU 1) is written for FHIR 4.0.1; fhir.resources ships R4B (4.3.0),
whose Location, Schedule, Slot and Appointment are the same for everything published here.
"""

from __future__ import annotations

import datetime as dt

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from core.timeutil import to_local

# The booking-phone extension: its canonical URL in the HL7 guide, and the URL of the original SMART
# specification (still in the guide's prose tables, and the one existing discovery clients read). A Slot
# carries both with the same number; the deep link is left out (a phone line has no booking web page).
BOOKING_PHONE = "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/booking-phone"
BOOKING_PHONE_SMART = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"
BOOKING_DEEP_LINK = "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/booking-deep-link"
BOOKING_DEEP_LINK_SMART = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
# "How many patients this slot takes": the original SMART specification's capacity extension, which
# clinicline uses for walk-in places left today (the HL7 guide defines no capacity extension of its own).
SLOT_CAPACITY = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity"
SLOT_PROFILE = "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/smart-scheduling-slot"
SERVICE_TYPE = "http://terminology.hl7.org/CodeSystem/service-type"
GENERAL_PRACTICE = {"system": SERVICE_TYPE, "code": "124", "display": "General Practice"}
# HL7 v2 table 0276 (appointment reason codes), the guide's preferred value set for Slot.appointmentType.
APPOINTMENT_REASON = "http://terminology.hl7.org/CodeSystem/v2-0276"
ROUTINE = {"system": APPOINTMENT_REASON, "code": "ROUTINE", "display": "Routine appointment"}
WALKIN = {"system": APPOINTMENT_REASON, "code": "WALKIN", "display": "A previously unscheduled walk-in visit"}
TYPES = ("Location", "Schedule", "Slot")


def instant(moment: dt.datetime, tz: str) -> str:
    """A FHIR instant in the clinic's own offset, to the second: 2026-12-07T09:00:00-05:00."""
    return to_local(moment, tz).replace(microsecond=0).isoformat()


def location(*, id: str, name: str, phone: str | None, place: dict, identifier_system: str) -> Location:
    """A clinic as a Location: name, the number to call, address and position when the clinics file has them."""
    data: dict = {
        "id": id,
        "identifier": [{"system": identifier_system, "value": id}],
        "status": "active",
        "name": name,
        "telecom": [{"system": "phone", "value": phone}] if phone else None,
    }
    address = {
        "line": [place["address"]] if place.get("address") else None,
        "city": place.get("city"),
        "state": place.get("province", "QC"),
        "postalCode": place.get("postal_code"),
        "country": "CA",
    }
    data["address"] = {k: v for k, v in address.items() if v}
    if "latitude" in place and "longitude" in place:
        data["position"] = {"latitude": place["latitude"], "longitude": place["longitude"]}
    return Location(**{k: v for k, v in data.items() if v is not None})


def schedule(*, id: str, location_id: str, location_name: str, walkin: bool) -> Schedule:
    """A clinic's appointment calendar, or its walk-in queue, at its Location."""
    concept = {"coding": [GENERAL_PRACTICE], "text": "Walk-in" if walkin else "Appointment"}
    return Schedule(
        id=id,
        active=True,
        serviceType=[concept],
        actor=[{"reference": f"Location/{location_id}", "display": location_name}],
        comment="Walk-in (sans rendez-vous)" if walkin else None,
    )


def slot(
    *,
    id: str,
    schedule_id: str,
    status: str,
    start: str,
    end: str,
    booking_phone: str | None,
    walkin: bool = False,
    capacity: int | None = None,
) -> FhirSlot:
    """One appointment slot (free or busy), or today's walk-in window with the places left as its capacity."""
    extensions = []
    if booking_phone:
        extensions += [
            {"url": BOOKING_PHONE, "valueString": booking_phone},
            {"url": BOOKING_PHONE_SMART, "valueString": booking_phone},
        ]
    if capacity is not None:
        extensions.append({"url": SLOT_CAPACITY, "valueInteger": capacity})
    return FhirSlot(
        id=id,
        meta={"profile": [SLOT_PROFILE]},
        extension=extensions or None,
        schedule={"reference": f"Schedule/{schedule_id}"},
        appointmentType={"coding": [WALKIN if walkin else ROUTINE]},
        status=status,
        start=start,
        end=end,
    )


def appointment(
    *, id: str, status: str, start: str, end: str, slot_id: str, code: str, patient: str, phone: str
) -> FhirAppointment:
    """A booked (or cancelled, attended, missed) appointment, for the clinic's own systems."""
    return FhirAppointment(
        id=id,
        identifier=[{"system": "urn:clinicline:appointment-code", "value": code}],
        status=status,
        start=start,
        end=end,
        slot=[{"reference": f"Slot/{slot_id}"}],
        participant=[
            {
                "actor": {
                    "display": patient,
                    "identifier": {"system": "urn:ietf:rfc:3966", "value": f"tel:{phone}"},
                },
                "status": "accepted",
            }
        ],
    )


def searchset(resources: list, base: str) -> Bundle:
    """A search result Bundle."""
    return Bundle(
        type="searchset",
        total=len(resources),
        entry=[
            {"fullUrl": f"{base}/{r.get_resource_type()}/{r.id}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ]
        or None,
    )


def to_json(resource) -> str:
    """One resource as minified JSON (one NDJSON line)."""
    return resource.model_dump_json(exclude_none=True)
