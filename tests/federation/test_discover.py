"""Discovery: neighbours' files are read on the tick into a table, with `_since` and ETags; a down one is skipped."""

from __future__ import annotations

import urllib.parse

import pytest
import requests
from sqlalchemy import func, select

from clinicline.app import create_app
from core.clinics_file import load_clinics
from core.config import Config
from core.db import make_engine, make_session_factory, upgrade
from core.federation import discover, offers
from core.jobs.names import POLL_NEIGHBOURS
from core.models import Clinic, FederationFeed, FederationResource, Slot, SlotStatus
from core.runtime import Runtime
from core.services import booking, patients
from tests.support.arrange import fill_day

NEIGHBOUR = "http://stdenis.example.org/fhir/$bulk-publish"
STDENIS = """
[[clinic]]
id = "stdenis"
name = "Clinique Saint-Denis"
twilio_numbers = ["+15145550300"]
slot_minutes = 15

[clinic.location]
latitude = 45.5190
longitude = -73.5690

[clinic.appointments.hours]
"mon-fri" = ["09:00-12:00"]
"""


class Publisher:
    """A neighbour instance served in-process at one host name, reached through a requests-like `get`."""

    def __init__(self, runtime: Runtime, host: str):
        self.runtime, self.host = runtime, host
        self.client = create_app(runtime=runtime).test_client()
        self.up = True
        self.requests: list[tuple[str, dict, dict]] = []

    def get(self, url, params=None, headers=None, timeout=None, stream=False):
        assert timeout is not None, "every fetch of a neighbour has a timeout"
        parts = urllib.parse.urlsplit(url)
        if not self.up or parts.netloc != self.host:
            raise requests.ConnectionError(f"cannot reach {parts.netloc}")
        self.requests.append((parts.path, dict(params or {}), dict(headers or {})))
        answer = self.client.get(parts.path, query_string=params or {}, headers=headers or {})
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response._content, response._content_consumed = answer.data, True
        return response


@pytest.fixture
def neighbour(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'stdenis.db'}"
    engine = make_engine(url)
    upgrade(engine)
    config = Config.from_env({}, database_url=url, instance_path=tmp_path, testing=True,
                             public_base_url="http://stdenis.example.org")  # fmt: skip
    rt = Runtime(config=config, engine=engine, session_factory=make_session_factory(engine), clock=clock)
    path = tmp_path / "stdenis.toml"
    path.write_text(STDENIS)
    with rt.session_factory.begin() as session:
        load_clinics(session, path, clock(), 30)
    yield Publisher(rt, "stdenis.example.org")
    rt.dispose()


@pytest.fixture
def here(signed_rt):
    signed_rt.config = signed_rt.config.with_(neighbours=(NEIGHBOUR,))
    return signed_rt


def stored(runtime, kind: str) -> int:
    with runtime.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(FederationResource).where(FederationResource.type == kind)
        )


def test_a_poll_keeps_the_neighbours_clinics_and_slots_and_a_turn_offers_them_with_their_distance(
    here, neighbour
):
    assert discover.poll_neighbours(here, http=neighbour) == {NEIGHBOUR: "ok"}
    assert stored(here, "Location") == 1
    assert stored(here, "Schedule") == 1
    assert stored(here, "Slot") > 100
    fill_day(here, clinic="parc")
    with here.session_factory() as session:
        found = offers.nearby(session, session.get(Clinic, "westmount"), here.now(), "H3Z")
    assert [(o.name, o.phone) for o in found[:1]] == [("Clinique Saint-Denis", "+15145550300")]
    assert found[0].km == 4
    assert found[0].starts_at is not None


def test_later_polls_send_since_and_the_etag_and_a_booking_there_shows_here(here, neighbour, clock):
    discover.poll_neighbours(here, http=neighbour)
    first_manifest = neighbour.requests[0]
    assert first_manifest[1] == {}  # the first read is a full one
    clock.advance(seconds=30)
    assert discover.poll_neighbours(here, http=neighbour) == {}  # not twice within a minute (the guide)
    clock.advance(seconds=40)
    before = len(neighbour.requests)
    assert discover.poll_neighbours(here, http=neighbour) == {NEIGHBOUR: "ok"}
    path, params, headers = neighbour.requests[before]
    assert path == "/fhir/$bulk-publish"
    assert "_since" in params
    assert "If-None-Match" in headers
    with neighbour.runtime.session_factory.begin() as session:
        slot = session.scalars(
            select(Slot)
            .where(Slot.status == SlotStatus.FREE, Slot.starts_at > clock())
            .order_by(Slot.starts_at)
        ).first()
        booking.book(
            session, slot.id, patients.get_or_create_patient(session, "+15145551111"), "sms", clock()
        )
        booked_id = f"stdenis-{slot.id}"
    clock.advance(seconds=61)
    discover.poll_neighbours(here, http=neighbour)
    with here.session_factory() as session:
        row = session.scalar(select(FederationResource).where(FederationResource.resource_id == booked_id))
        assert row.free is False


def test_a_neighbour_that_is_down_is_flagged_skipped_and_never_an_error(here, neighbour, clock):
    discover.poll_neighbours(here, http=neighbour)
    neighbour.up = False
    clock.advance(minutes=2)
    assert discover.poll_neighbours(here, http=neighbour) == {NEIGHBOUR: "down"}
    with here.session_factory() as session:
        feed = session.scalars(select(FederationFeed)).one()
        assert feed.status == "down"
        assert "ConnectionError" in feed.error
        found = offers.nearby(session, session.get(Clinic, "westmount"), here.now(), "H3Z")
    assert "+15145550300" not in [o.phone for o in found]
    health = create_app(runtime=here).test_client().get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["neighbours"][0]["status"] == "down"


@pytest.mark.parametrize(
    ("manifest", "error"),
    [
        ({"request": "x", "output": []}, "transactionTime"),
        ({"transactionTime": "yesterday", "request": "x", "output": []}, "transactionTime"),
        (
            {
                "transactionTime": "2026-12-07T14:00:00Z",
                "request": "x",
                "output": [{"type": "Slot", "url": "Slot.ndjson"}],
            },
            "full URL",
        ),
        ({"transactionTime": "2026-12-07T14:00:00Z", "output": []}, "request"),
        ([], "not a JSON object"),
    ],
)
def test_a_manifest_that_breaks_the_rules_is_refused_with_the_rule_it_breaks(manifest, error):
    with pytest.raises(discover.FeedError, match=error):
        discover.check_manifest(manifest)


def test_other_output_types_are_ignored_as_the_guide_says():
    manifest = {
        "transactionTime": "2026-12-07T14:00:00.000-05:00",
        "request": "https://x.example/fhir/$bulk-publish",
        "output": [
            {"type": "PractitionerRole", "url": "https://x.example/fhir/pr.ndjson"},
            {"type": "Slot", "url": "https://x.example/fhir/slots.ndjson"},
        ],
    }
    assert discover.check_manifest(manifest) == [("Slot", "https://x.example/fhir/slots.ndjson")]


def test_a_slot_of_another_publisher_is_read_with_either_booking_phone_url():
    for url in ("http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone",
                "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/booking-phone"):  # fmt: skip
        row = discover.row_of(
            "Slot",
            {"resourceType": "Slot", "id": "789", "schedule": {"reference": "Schedule/456"}, "status": "free",
             "start": "2021-03-10T15:00:00-05:00", "end": "2021-03-10T15:20:00-05:00",
             "extension": [{"url": url, "valueString": "+1-555-123-4567"}]},
        )  # fmt: skip
        assert row["data"]["phone"] == "+1-555-123-4567"
        assert row["free"]
        assert row["parent_id"] == "456"


def test_the_clinics_files_neighbours_replace_the_previous_list(signed_rt, tmp_path, clock):
    from core.clinics_file import EXAMPLE_FILE

    path = tmp_path / "clinics.toml"
    path.write_text('neighbours = ["https://a.example/fhir/$bulk-publish"]\n' + EXAMPLE_FILE.read_text())
    with signed_rt.session_factory.begin() as session:
        load_clinics(session, path, clock(), 30)
    path.write_text('neighbours = ["https://b.example/fhir/$bulk-publish"]\n' + EXAMPLE_FILE.read_text())
    with signed_rt.session_factory.begin() as session:
        load_clinics(session, path, clock(), 30)
        assert [f.url for f in session.scalars(select(FederationFeed))] == [
            "https://b.example/fhir/$bulk-publish"
        ]


def test_the_tick_enqueues_the_neighbours_poll(signed_rt):
    from core.jobs.context import using
    from core.jobs.tasks import tick

    with using(signed_rt):
        tick()
    assert POLL_NEIGHBOURS in signed_rt.jobs.paths()
