"""What a SMART Scheduling Links data set must be: valid FHIR lines, and a manifest that follows the guide."""

from __future__ import annotations

import json
import re

from fhir.resources.R4B.location import Location
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from core.federation import fhir

MODELS = {"Location": Location, "Schedule": Schedule, "Slot": Slot}
# The guide's timestamps: to the second at least, with an offset (Z allowed).
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def check_manifest(manifest: dict, manifest_url: str) -> dict[str, list[str]]:
    """The guide's manifest rules; returns the output URLs by type."""
    assert set(manifest) >= {"transactionTime", "request", "output"}
    assert TIMESTAMP.match(manifest["transactionTime"]), manifest["transactionTime"]
    assert manifest["request"] == manifest_url
    assert manifest_url.endswith("$bulk-publish")
    urls: dict[str, list[str]] = {}
    for item in manifest["output"]:
        assert item["type"] in ("Location", "Schedule", "Slot"), item
        assert item["url"].startswith(("http://", "https://")), item
        assert isinstance(item["extension"]["state"], list)
        assert item["extension"]["state"]
        urls.setdefault(item["type"], []).append(item["url"])
    assert set(urls) == {"Location", "Schedule", "Slot"}
    return urls


def parse_ndjson(kind: str, body: str) -> list:
    """Each line one minified JSON resource of the type, valid against the FHIR model."""
    resources = []
    for line in body.splitlines():
        assert (
            line == json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False)
            or "\n" not in line
        )
        resource = MODELS[kind].model_validate_json(line)
        assert ID.match(resource.id), resource.id
        resources.append(resource)
    return resources


def check_data_set(locations: list, schedules: list, slots: list) -> None:
    """References resolve, slots carry the booking phone and no deep link, times carry offsets."""
    location_ids = {loc.id for loc in locations}
    schedule_ids = {s.id for s in schedules}
    for schedule in schedules:
        assert any(a.reference.removeprefix("Location/") in location_ids for a in schedule.actor)
    for slot in slots:
        assert slot.schedule.reference.removeprefix("Schedule/") in schedule_ids
        assert slot.status in ("free", "busy", "busy-tentative", "busy-unavailable")
        urls = {e.url for e in slot.extension or []}
        assert fhir.BOOKING_PHONE in urls
        assert fhir.BOOKING_PHONE_SMART in urls
        assert not urls & {fhir.BOOKING_DEEP_LINK, fhir.BOOKING_DEEP_LINK_SMART}
    for location in locations:
        assert location.telecom
        assert location.telecom[0].system == "phone"


def booking_phone(slot) -> str:
    return next(e.valueString for e in slot.extension if e.url == fhir.BOOKING_PHONE)


def capacity(slot) -> int | None:
    return next((e.valueInteger for e in slot.extension or [] if e.url == fhir.SLOT_CAPACITY), None)
