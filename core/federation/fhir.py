"""SMART Scheduling Links resources (FHIR R4, built and checked with fhir.resources' R4B models).

The guide (HL7 SMART Scheduling Links, STU 1) is written for FHIR 4.0.1; fhir.resources ships R4B (4.3.0),
whose Location, Schedule, Slot and Appointment are the same for everything published here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

from core.timeutil import to_local

# The fhir.resources models are imported on first use, not with the web app: they take most of a second
# to import, which every web worker would otherwise pay at boot, and most processes never publish.

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
SLOT_STATUSES = ("free", "busy", "busy-tentative", "busy-unavailable")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def instant(moment: dt.datetime, tz: str) -> str:
    """A FHIR instant in the clinic's own offset, to the second: 2026-12-07T09:00:00-05:00."""
    return to_local(moment, tz).replace(microsecond=0).isoformat()


def location(*, id: str, name: str, phone: str | None, place: dict, identifier_system: str) -> object:
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
    from fhir.resources.R4B.location import Location

    return Location(**{k: v for k, v in data.items() if v is not None})


def schedule(*, id: str, location_id: str, location_name: str, walkin: bool) -> object:
    """A clinic's appointment calendar, or its walk-in queue, at its Location."""
    from fhir.resources.R4B.schedule import Schedule

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
) -> object:
    """One appointment slot (free or busy), or today's walk-in window with the places left as its capacity."""
    from fhir.resources.R4B.slot import Slot as FhirSlot

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


class SlotStamp:
    """Many slots of one schedule, fast: one is built and checked by fhir.resources, the others copy its shape.

    Only the id, status, start and end differ between the slots of a schedule, and each is checked here
    (an id of the guide's alphabet, a status of the value set, instants as `instant` writes them), so
    every copy is as valid as the one the model checked; a rebuild of thousands of slots stays cheap.
    """

    def __init__(self, *, schedule_id: str, booking_phone: str | None, tz: str):
        self.tz = tz
        sample = slot(
            id="sample", schedule_id=schedule_id, status="free", start="2026-01-05T09:00:00-05:00",
            end="2026-01-05T09:15:00-05:00", booking_phone=booking_phone,
        )  # fmt: skip
        self._shape = as_dict(sample)

    def __call__(self, *, id: str, status: str, start: dt.datetime, end: dt.datetime) -> dict:
        if not _ID.match(id) or status not in SLOT_STATUSES or end <= start:
            raise ValueError(f"not a publishable slot: {id!r} {status!r} {start} {end}")
        out = copy.deepcopy(self._shape)
        out.update(id=id, status=status, start=instant(start, self.tz), end=instant(end, self.tz))
        return out


def appointment(
    *, id: str, status: str, start: str, end: str, slot_id: str, code: str, patient: str, phone: str
) -> object:
    """A booked (or cancelled, attended, missed) appointment, for the clinic's own systems."""
    from fhir.resources.R4B.appointment import Appointment as FhirAppointment

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


def searchset(resources: list[dict], base: str) -> dict:
    """A search result Bundle (its frame checked by fhir.resources; entries are already-checked resources)."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = as_dict(Bundle(type="searchset", total=len(resources)))
    if resources:
        bundle["entry"] = [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ]
    return bundle


def as_dict(resource) -> dict:
    """A checked model as plain JSON data (resourceType first, no empty fields)."""
    return resource.model_dump(mode="json", exclude_none=True)


def to_json(resource: dict) -> str:
    """One resource as minified JSON (one NDJSON line)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
