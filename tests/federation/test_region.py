"""Three real clinicline instances (three processes, three databases, three clinics) that list each other.

Westmount is full; Saint-Denis (4 km from a patient in H3Z) and Laval (15 km) have room. The patient is
offered the nearest clinic with a slot, by SMS and by phone (the transfer dials Saint-Denis' number); when
Laval's server stops, Westmount skips it and /healthz says so; a slot booked at Saint-Denis is busy in its
published files within a minute.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.federation.fhir_checks import check_data_set, check_manifest, parse_ndjson
from tests.support.servers import free_port
from tests.support.twilio_requests import Texter
from tests.voice.walker import Call

CLINICLINE = str(Path(sys.executable).parent / "clinicline")  # the console script, as an operator runs it
TOKEN = "region-token"
PATIENT = "+15145551234"
# Open every day and night, so the test finds free slots whatever time it runs.
ALWAYS = '"mon-sun" = ["00:00-23:45"]'
CLINICS = {
    "westmount": ("Westmount Family Clinic", "+15145550200", 45.4836, -73.5980, ""),  # no hours: full
    "stdenis": ("Clinique Saint-Denis", "+15145550300", 45.5190, -73.5690, ALWAYS),
    "laval": ("Clinique de Laval", "+15145550400", 45.5700, -73.7500, ALWAYS),
}


def clinics_file(cid: str, neighbours: list[str] | None) -> str:
    name, number, lat, lon, hours = CLINICS[cid]
    head = f"neighbours = {json.dumps(neighbours)}\n\n" if neighbours is not None else ""
    return f"""{head}[[clinic]]
id = "{cid}"
name = "{name}"
default_lang = "fr"
twilio_numbers = ["{number}"]
phone = "{number}"
slot_minutes = 15

[clinic.location]
latitude = {lat}
longitude = {lon}
province = "QC"

[clinic.appointments.hours]
{hours}
"""


class Instance:
    """One `clinicline serve` process on its own SQLite database and port."""

    def __init__(self, cid: str, folder: Path, port: int):
        self.cid, self.folder, self.port = cid, folder, port
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.env: dict[str, str] = {}

    @property
    def manifest_url(self) -> str:
        return f"{self.base}/fhir/$bulk-publish"

    def start(self, clinics: str, neighbours_env: list[str]) -> Instance:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "clinics.toml").write_text(clinics, encoding="utf-8")
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("CLINICLINE_", "TWILIO_", "DATABASE_"))
        }
        env |= {
            "DATABASE_URL": f"sqlite:///{self.folder / 'clinicline.db'}",
            "CLINICLINE_INSTANCE": str(self.folder),
            "CLINICLINE_CLINICS": str(self.folder / "clinics.toml"),
            "CLINICLINE_NEIGHBOURS": " ".join(neighbours_env),
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": self.base,
            "PYTHONUNBUFFERED": "1",
        }
        self.env = env
        with (self.folder / "serve.log").open("wb") as log:
            self.process = subprocess.Popen(
                [CLINICLINE, "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.cid} exited:\n{self.log()}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.cid} never answered /healthz:\n{self.log()}")

    def poll_neighbours(self) -> dict:
        """`clinicline neighbours poll` against this instance's database (what the job tick does)."""
        done = subprocess.run(
            [CLINICLINE, "neighbours", "poll"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def health(self) -> dict:
        return requests.get(self.base + "/healthz", timeout=5).json()

    def log(self) -> str:
        path = self.folder / "serve.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class Http:
    """The Flask-test-client calls the Twilio helpers make, over real HTTP to a running instance."""

    class Answer:
        def __init__(self, response: requests.Response):
            self.status_code, self.text = response.status_code, response.text
            self.mimetype = response.headers.get("Content-Type", "").split(";")[0]

        def get_data(self, as_text: bool = False):
            return self.text if as_text else self.text.encode()

    def __init__(self, base_url: str):
        self.base_url, self.session = base_url, requests.Session()

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> Answer:
        return self.Answer(self.session.post(self.base_url + path, data=data, headers=headers, timeout=15))


@pytest.fixture
def region(tmp_path):
    """The three instances, started together and stopped whatever happens."""
    ports = {cid: free_port() for cid in CLINICS}
    instances = {cid: Instance(cid, tmp_path / cid, port) for cid, port in ports.items()}
    urls = {cid: inst.manifest_url for cid, inst in instances.items()}
    others = {cid: [u for c, u in urls.items() if c != cid] for cid in CLINICS}
    try:
        # Westmount lists its neighbours in its clinics file; the other two by CLINICLINE_NEIGHBOURS.
        instances["westmount"].start(clinics_file("westmount", others["westmount"]), [])
        for cid in ("stdenis", "laval"):
            instances[cid].start(clinics_file(cid, None), others[cid])
        for inst in instances.values():
            inst.wait_ready()
        yield instances
    finally:
        for inst in instances.values():
            inst.stop()


def test_a_region_of_three_instances_sends_a_patient_from_a_full_clinic_to_the_nearest_with_room(region):
    westmount, stdenis, laval = region["westmount"], region["stdenis"], region["laval"]

    # Each instance publishes valid files that follow the manifest rules.
    for inst in region.values():
        manifest = requests.get(inst.manifest_url, timeout=5).json()
        urls = check_manifest(manifest, inst.manifest_url)
        found = {
            kind: parse_ndjson(kind, requests.get(url, timeout=10).text) for kind, (url,) in urls.items()
        }
        check_data_set(found["Location"], found["Schedule"], found["Slot"])
        assert [loc.id for loc in found["Location"]] == [inst.cid]

    for inst in region.values():
        assert set(inst.poll_neighbours().values()) == {"ok"}
    assert {n["status"] for n in westmount.health()["neighbours"]} == {"ok"}

    # SMS: Westmount has nothing; the patient gives a postal area and gets Saint-Denis first, then Laval.
    phone = Texter(
        Http(westmount.base), TOKEN, PATIENT, "+15145550200", base_url=westmount.base, max_segments=3
    )
    asked = phone("RDV")
    assert "code postal" in asked.text, asked.text
    offered = phone("H3Z")
    lines = offered.text.splitlines()
    assert lines[0] == "Près de H3Z:"
    assert re.match(
        r"Clinique Saint-Denis \(\d km\): .+\. Pour y prendre RDV, texte RDV au 514-555-0300$", lines[1]
    )
    assert re.match(r"Clinique de Laval \(1\d km\): .+ texte RDV au 514-555-0400$", lines[2])

    # By phone: the same, read out, and 1 transfers the call to Saint-Denis' number.
    call = Call(
        Http(westmount.base), auth_token=TOKEN, from_=PATIENT, to="+15145550200", base_url=westmount.base
    )
    call.start()
    call.press("1")  # book
    call.press("2")  # tomorrow
    heard = " ".join(call.heard)
    assert "Près de chez vous" in heard, heard  # the postal area was remembered from the SMS
    assert "Pour être transféré à Clinique Saint-Denis, appuyez sur 1." in heard
    call.press("1")
    assert call.state == "dial"
    assert call.dialled == "+15145550300"

    # Laval's server stops: Westmount flags it in /healthz and offers only Saint-Denis.
    laval.stop()
    polled = westmount.poll_neighbours()
    assert polled == {laval.manifest_url: "down", stdenis.manifest_url: "ok"}
    flagged = {n["url"]: n for n in westmount.health()["neighbours"]}
    assert flagged[laval.manifest_url]["status"] == "down"
    assert flagged[laval.manifest_url]["error"]
    assert westmount.health()["status"] == "ok"
    again = phone("RDV")
    assert "Clinique Saint-Denis" in again.text
    assert "Laval" not in again.text

    # A slot booked at Saint-Denis is busy in its published files within a minute.
    booker = Texter(Http(stdenis.base), TOKEN, "+15145559876", "+15145550300", base_url=stdenis.base)
    booker("RDV demain")
    picked = booker("1")
    if "nom" in picked.text.lower():
        picked = booker("Jean Tremblay")
    booked = booker("OUI")
    assert re.search(r"\d{4}", booked.text), booked.text
    deadline = time.monotonic() + 60
    while True:
        slots = [
            json.loads(x)
            for x in requests.get(f"{stdenis.base}/fhir/Slot.ndjson", timeout=10).text.splitlines()
        ]
        if any(s["status"] == "busy" for s in slots):
            break
        assert time.monotonic() < deadline, (
            "the booked slot is still free in the published files after a minute"
        )
        time.sleep(1)
