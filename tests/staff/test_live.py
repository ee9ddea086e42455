"""The live boards, the waiting-room screen's link, other days and weeks, and the day sheet (PDF and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys

from pypdf import PdfReader
from sqlalchemy import select

from core.models import AuditEntry, Clinic, DisplayLink, Practitioner, Slot, SlotStatus, WalkinTicket
from core.services import board, live_board
from tests.staff.conftest import csrf, sign_in, text_of
from tests.support.apps import MARIE
from tests.support.arrange import book, fill_queue

DAY = dt.date(2026, 12, 7)  # the tests' Monday


def stamp_of(runtime, day=DAY) -> str:
    with runtime.session_factory() as s:
        return live_board.day_stamp(s, s.get(Clinic, "parc"), day)


# ---- polling and calling ---------------------------------------------------------------------------------------


def test_polls_do_not_keep_an_idle_session_alive_but_a_click_does(console, clock):
    sign_in(console)
    for _ in range(6):  # 30 minutes of a page polling by itself
        clock.advance(minutes=5)
        assert console.get("/staff/parc/live.json").status_code == 200
    clock.advance(minutes=5)
    assert console.get("/staff/parc/live.json").status_code == 302  # idle for 35 minutes: signed out
    sign_in(console)
    clock.advance(minutes=25)
    assert console.get("/staff/parc/").status_code == 200  # someone looked: the clock starts again
    clock.advance(minutes=25)
    assert console.get("/staff/parc/live.json").status_code == 200


def test_call_next_takes_a_room_the_console_remembers_it_and_the_audit_names_it(console, runtime):
    fill_queue(runtime, ["+15145551001", "+15145551002"], named=True)
    sign_in(console)
    console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console), "room": "  Salle   4 "})
    page = text_of(console.get("/staff/parc/"))
    assert re.search(r'id="call-room"[^>]*value="Salle 4"', page)
    assert "salle Salle 4" in page
    with runtime.session_factory() as s:
        first = s.scalar(select(WalkinTicket).where(WalkinTicket.number == 1))
        assert first.room == "Salle 4"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "walkin.called"))
        assert entry.detail["room"] == "Salle 4"
        assert entry.account_id is not None
    console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console), "room": "x" * 50})
    with runtime.session_factory() as s:
        second = s.scalar(select(WalkinTicket).where(WalkinTicket.number == 2))
        assert second.room == "x" * 20  # cut to the column's size, never a 500


# ---- the waiting-room screen ---------------------------------------------------------------------------------


def create_display_link(console, login="marc") -> str:
    sign_in(console, login)
    page = text_of(console.post("/staff/parc/display/rotate", data={"csrf_token": csrf(console)}))
    return re.search(r'id="display-address"><code>[^<]*(/display/[^<]+)</code>', page).group(1)


def test_a_manager_makes_a_screen_link_that_shows_numbers_and_rooms_and_never_names(console, runtime):
    fill_queue(runtime, ["+15145551001", "+15145551002", "+15145551003"], named=True)
    path = create_display_link(console)
    token = path.rsplit("/", 1)[1]
    with runtime.session_factory() as s:
        [row] = s.scalars(select(DisplayLink)).all()
        assert row.token_hash != token
        assert token not in row.token_hash
        assert row.prefix == token[:10]
    console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console), "room": "4"})
    console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console), "room": "2"})
    screen = console.application.test_client()  # the TV: no staff session at all
    page = screen.get(path)
    assert page.status_code == 200
    words = text_of(page)
    assert "Numéro 2 — salle 2" in words
    assert "Number 2 — room 2" in words
    assert "Numéro 1 — salle 4" in words
    visible = re.sub(r"<[^>]+>", " ", words)  # what the screen shows (attributes hold the token and stamp)
    assert "Patient" not in visible, visible
    assert not re.search(r"555|1001|1002|1003", visible), visible
    assert page.headers["Referrer-Policy"] == "no-referrer"
    data = screen.get(path + "/now.json").get_json()
    assert [(c["number"], c["room"]) for c in data["called"]] == [(2, "2"), (1, "4")]
    shown = str(data["called"])
    assert "Patient" not in shown
    assert "555" not in shown
    assert set(data) == {"stamp", "called", "every", "changed"}
    assert screen.get(f"{path}/now.json?stamp={data['stamp']}").get_json()["changed"] is False


def test_rotating_or_revoking_the_screen_link_stops_the_old_one_with_words(console, runtime):
    first = create_display_link(console)
    second = create_display_link(console)
    screen = console.application.test_client()
    gone = screen.get(first)
    assert gone.status_code == 404
    assert "n'est plus valide" in text_of(gone)
    assert screen.get(first + "/now.json").status_code == 404
    assert screen.get(second).status_code == 200
    console.post("/staff/parc/display/revoke", data={"csrf_token": csrf(console)})
    assert screen.get(second).status_code == 404
    assert screen.get("/display/not-a-token").status_code == 404
    assert screen.get("/display/" + "tv_" + "x" * 500).status_code == 404
    with runtime.session_factory() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions.count("display_link.created") == 2
        assert "display_link.revoked" in actions


def test_reception_cannot_manage_the_screen_link_and_another_clinics_manager_cannot_either(console):
    sign_in(console, "julie")
    assert console.get("/staff/parc/display").status_code == 404
    assert console.post("/staff/parc/display/rotate", data={"csrf_token": csrf(console)}).status_code == 404
    sign_in(console, "wendy")
    token = csrf(console, "/staff/westmount/")
    assert console.post("/staff/parc/display/rotate", data={"csrf_token": token}).status_code == 404


# ---- other days and weeks ------------------------------------------------------------------------------------


def test_any_day_shows_each_practitioners_slots_free_held_blocked_and_booked(console, runtime):
    tuesday = DAY + dt.timedelta(days=1)
    code = book(runtime, MARIE, day=tuesday, person="Marie Lavoie").code
    with runtime.session_factory.begin() as s:
        slots = board.free_slots_of_day(s, s.get(Clinic, "parc"), tuesday, runtime.now())
        slots[5].status = SlotStatus.BLOCKED
    sign_in(console)
    page = console.get(f"/staff/parc/days?date={tuesday.isoformat()}")
    words = text_of(page)
    assert page.status_code == 200
    assert "Marie Lavoie" in words
    assert code in words
    assert "…1234" in words
    assert words.count('data-kind="booked"') == 1
    assert words.count('data-kind="blocked"') == 1
    assert 'data-practitioner="dre-tremblay"' in words
    assert 'data-practitioner="dr-nguyen"' in words
    for link in ("previous-day", "next-day", "previous-week", "next-week", "week-link"):
        assert f'id="{link}"' in words
    with runtime.session_factory() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.subject == f"day:{tuesday.isoformat()}"))
    assert console.get("/staff/parc/days?date=2026-13-01").status_code == 400
    assert console.get("/staff/westmount/days").status_code == 404


def test_the_week_counts_each_practitioners_slots_day_by_day(console, runtime):
    book(runtime, MARIE, day=DAY + dt.timedelta(days=2), person="Marie Lavoie")
    sign_in(console)
    page = text_of(console.get("/staff/parc/week?date=2026-12-09"))
    assert "Semaine du" in page
    assert 'data-day="2026-12-07"' in page
    assert 'data-day="2026-12-13"' in page
    with runtime.session_factory() as s:
        doc = s.scalar(select(Practitioner).where(Practitioner.key == "dre-tremblay"))
        free_wednesday = sum(
            1
            for slot in s.scalars(select(Slot).where(Slot.practitioner_id == doc.id))
            if slot.starts_at.date() == dt.date(2026, 12, 9) and slot.status == SlotStatus.FREE
        )
    row = re.search(r'<tr data-practitioner="dre-tremblay">.*?</tr>', page, re.S).group(0)
    wednesday = re.search(r'<td data-day="2026-12-09".*?</td>', row, re.S).group(0)
    assert f"{free_wednesday} libres" in wednesday
    assert "1 pris" in page
    next_week = text_of(console.get("/staff/parc/week?date=2026-12-16"))
    assert 'data-day="2026-12-14"' in next_week


# ---- the day sheet -------------------------------------------------------------------------------------------


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_the_day_sheet_has_a_page_per_practitioner_and_the_queue_and_the_csv_says_the_same(console, runtime):
    fill_queue(runtime, ["+15145551001", "+15145551002"], named=True)
    booked = [
        book(runtime, f"+1514555{2000 + n}", day=DAY, nth=n, person=f"Personne {n}").code for n in range(5)
    ]
    sign_in(console)
    response = console.get("/staff/parc/daysheet.pdf?date=2026-12-07")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="daysheet-parc-2026-12-07.pdf"' in response.headers["Content-Disposition"]
    pages = pdf_pages(response.data)
    assert len(pages) == 3  # two practitioners, then the walk-in queue
    assert "Dre" in pages[0] or "Dr" in pages[0]
    text = "\n".join(pages)
    for n, code in enumerate(booked):
        assert code in text
        assert f"Personne {n}" in text
    assert "+1514555" not in text
    assert "…2000" in text
    assert "Sans rendez-vous" in pages[2]
    assert "Patient 1001" in pages[2]
    assert "Patient 1002" in pages[2]
    sheet = console.get("/staff/parc/daysheet.csv?date=2026-12-07")
    rows = list(csv.reader(io.StringIO(sheet.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Type", "Praticien", "Date", "Heure"]
    appointments = [r for r in rows[1:] if r[0] == "rendez-vous"]
    assert sorted(r[6] for r in appointments) == sorted(booked)
    assert all("…" in r[5] and "5552" not in r[5] for r in rows[1:] if r[0] == "rendez-vous")
    assert [r[6] for r in rows[1:] if r[0] == "sans rendez-vous"] == ["1", "2"]
    for r in appointments:  # each appointment's practitioner page holds it
        page = next(p for p in pages if r[1] in p)
        assert r[6] in page
    with runtime.session_factory() as s:
        formats = [
            e.detail["format"]
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "staff.daysheet_downloaded"))
        ]
        assert formats == ["pdf", "csv"]


def test_one_practitioners_sheet_and_an_unknown_practitioner(console, runtime):
    book(runtime, MARIE, day=DAY, person="Marie Lavoie")
    sign_in(console)
    one = console.get("/staff/parc/daysheet.pdf?date=2026-12-07&practitioner=dr-nguyen")
    assert one.status_code == 200
    assert len(pdf_pages(one.data)) == 1  # no one in the queue: no queue page
    assert console.get("/staff/parc/daysheet.pdf?date=2026-12-07&practitioner=nobody").status_code == 404
    assert console.get("/staff/parc/daysheet.csv?date=bad").status_code == 400


def test_a_spreadsheet_formula_typed_as_a_name_stays_text_in_the_csv(console, runtime):
    book(runtime, MARIE, day=DAY, person='=HYPERLINK("http://x")')
    sign_in(console)
    body = console.get("/staff/parc/daysheet.csv?date=2026-12-07").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def run_cli(runtime, tmp_path, *args):
    env = {
        "DATABASE_URL": runtime.config.database_url,
        "CLINICLINE_INSTANCE": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "clinicline.cli",
            "daysheet",
            "--clinic",
            "parc",
            "--date",
            "2026-12-07",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_command_line_prints_one_practitioner_or_a_csv(runtime, tmp_path):
    code = book(runtime, MARIE, day=DAY, person="Marie Lavoie").code
    fill_queue(runtime, ["+15145551001"], named=True)
    pdf = tmp_path / "one.pdf"
    done = run_cli(runtime, tmp_path, "--practitioner", "dre-tremblay", "--output", str(pdf))
    assert done.returncode == 0, done.stderr
    assert "1 appointment(s), 1 walk-in ticket(s) from the database" in done.stdout
    pages = pdf_pages(pdf.read_bytes())
    assert code in pages[0]
    assert "Marie Lavoie" in pages[0]
    assert "Patient 1001" in pages[1]
    sheet = tmp_path / "day.csv"
    done = run_cli(runtime, tmp_path, "--csv", "--output", str(sheet))
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert [r[6] for r in rows if r[0] == "rendez-vous"] == [code]
    done = run_cli(runtime, tmp_path, "--practitioner", "nobody")
    assert done.returncode != 0
    assert "dre-tremblay" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_called_patients_text_names_the_room_in_one_gsm7_segment(console, runtime, fake_twilio):
    from smsbot.segments import segments

    fill_queue(runtime, ["+15145551001", "+15145551002"], named=True)
    sign_in(console)
    console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console), "room": "4"})
    console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console), "room": ""})
    runtime.jobs.drain()
    [with_room] = fake_twilio.messages_to("+15145551001")
    assert "Présentez-vous à la salle 4 maintenant" in with_room["body"]
    count = segments(with_room["body"])
    assert count.segments == 1, count
    assert count.encoding == "GSM-7", count
    [without] = fake_twilio.messages_to("+15145551002")
    assert "accueil" in without["body"]
    assert "salle" not in without["body"]


def test_with_the_database_down_the_screen_says_it_pauses_and_its_poll_answers_503(console, runtime):
    from sqlalchemy import create_engine

    from core.db import make_session_factory

    path = create_display_link(console)
    screen = console.application.test_client()
    runtime.session_factory = make_session_factory(
        create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    page = screen.get(path)
    assert page.status_code == 503
    assert "reviennent dans un instant" in text_of(page)
    assert "Traceback" not in text_of(page)
    poll = screen.get(path + "/now.json")
    assert poll.status_code == 503
    assert poll.get_json() == {"error": "unavailable"}


def test_from_the_snapshot_one_practitioners_sheet_still_prints_and_says_the_queue_is_not_in_it(
    runtime, tmp_path
):
    from core import snapshot

    code = book(runtime, MARIE, day=DAY, person="Marie Lavoie").code  # the first slot: Dre Tremblay's
    other = book(
        runtime, "+15145559876", day=DAY, person="John Smith"
    ).code  # now the first free: Dr Nguyen's
    snapshot.refresh(runtime, force=True)
    out = tmp_path / "tremblay.pdf"
    done = run_cli(
        runtime, tmp_path, "--from-snapshot", "--practitioner", "dre-tremblay", "--output", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert "1 appointment(s) from the snapshot" in done.stdout
    pages = pdf_pages(out.read_bytes())
    assert code in pages[0]
    assert "Marie Lavoie" in pages[0]
    assert other not in "\n".join(pages)
    assert "pas dans la copie locale" in pages[-1]


def test_the_screen_link_is_not_made_or_revoked_without_the_forms_token(console, runtime):
    sign_in(console, "marc")
    for action in ("rotate", "revoke"):
        refused = console.post(f"/staff/parc/display/{action}", data={})
        assert refused.status_code == 400
        assert "formulaire" in text_of(refused).lower()
    with runtime.session_factory() as s:
        assert s.scalars(select(DisplayLink)).all() == []
