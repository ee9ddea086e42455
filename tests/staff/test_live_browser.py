"""The live boards in a real browser (headless Chromium): the day page updates itself, the waiting-room screen
shows numbers and rooms only, and the day sheet downloads as a PDF and a CSV that list the whole day.

Screenshots go to $CLINICLINE_SCREENSHOTS when it is set (else the test's temporary folder).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time

from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from core.models import Clinic, WalkinTicket
from core.services import booking, walkin
from tests.staff import test_browser as chromium
from tests.staff.test_browser import Console, wait_for_file
from tests.staff.test_live import DAY
from tests.support.arrange import book, fill_queue

# The browser, the console served on a port, its downloads and screenshots: the console's own fixtures.
browser, downloads, live_console, shots, ui = (
    chromium.browser,
    chromium.downloads,
    chromium.live_console,
    chromium.shots,
    chromium.ui,
)
LIVE_WITHIN = 5  # seconds: the bound for a new walk-in to show on the day page


def appears_within(ui: Console, css: str, seconds: float, text: str | None = None):
    def seen(driver):
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            if text is None or text in element.text:
                return element
        return False

    return WebDriverWait(ui.driver, seconds, poll_frequency=0.1).until(seen, f"{css} {text or ''}")


def goes_within(ui: Console, css: str, seconds: float):
    return WebDriverWait(ui.driver, seconds, poll_frequency=0.1).until(
        lambda driver: not driver.find_elements(By.CSS_SELECTOR, css), f"{css} still shown"
    )


def test_the_day_page_shows_a_texted_walk_in_a_booking_and_a_cancellation_without_reloading(
    ui, runtime, texter, shots
):
    ui.sign_in("julie")
    ui.wait_for("#call-next")
    ui.driver.execute_script("window.clinicline_marker = 'same page'")
    assert not ui.all("#queue tr.ticket")

    started = time.monotonic()
    joined = texter("SANS RDV")  # a signed SMS to /sms of the same app the browser is on
    assert joined.status == 200
    assert "1" in joined.text
    row = appears_within(ui, '#queue tr.ticket[data-number="1"]', LIVE_WITHIN)
    assert time.monotonic() - started < LIVE_WITHIN
    assert "…1234" in row.text
    assert "+15145551234" not in ui.text()

    appointment = book(runtime, "+15145559876", day=DAY, nth=2, person="John Smith")
    appointment_id, code = appointment.id, appointment.code
    appears_within(ui, f'#appointments tr.appointment[data-code="{code}"]', LIVE_WITHIN)
    texter("QUITTER")  # she leaves the queue by text
    goes_within(ui, '#queue tr.ticket[data-number="1"]', LIVE_WITHIN)
    with runtime.session_factory.begin() as s:
        booking.cancel(s, appointment_id, runtime.now(), "sms")
    goes_within(ui, f'#appointments tr.appointment[data-code="{code}"]', LIVE_WITHIN)

    assert ui.driver.execute_script("return window.clinicline_marker") == "same page"  # never reloaded
    assert ui.statuses("/staff/parc/") == [200]  # one load of the page, the rest were polls
    ui.shot("day-live")


def test_the_screen_link_shows_the_called_number_and_room_and_no_name_or_phone(ui, runtime, shots):
    fill_queue(runtime, ["+15145551001", "+15145551002", "+15145551003"], named=True)
    ui.sign_in("marc")
    ui.wait_for("#nav-display")
    ui.click("#nav-display")
    ui.wait_for("#no-link")
    ui.click("#rotate-link")
    address = ui.wait_for("#display-address").get_attribute("href")
    ui.shot("display-link")
    ui.open("/staff/parc/")
    ui.find("#call-room").clear()
    ui.find("#call-room").send_keys("4")
    ui.click("#call-next")
    ui.wait_for('#queue tr.ticket.called[data-number="1"]', "salle 4")
    assert ui.find("#call-room").get_attribute("value") == "4"  # remembered for the next call
    ui.sign_out()
    ui.driver.delete_all_cookies()  # the TV has no staff session

    ui.driver.get(address)
    appears_within(ui, "#latest-primary", 10, "Numéro 1 — salle 4")
    assert "Number 1 — room 4" in ui.find("#latest-secondary").text
    ui.driver.execute_script("window.clinicline_marker = 'same screen'")
    with runtime.session_factory.begin() as s:
        walkin.call_next(s, s.get(Clinic, "parc"), runtime.now(), actor="Marc Gagnon", room="2")
    appears_within(ui, "#latest-primary", LIVE_WITHIN + 1, "Numéro 2 — salle 2")
    appears_within(ui, "#earlier li", 2, "Numéro 1 — salle 4")
    assert ui.driver.execute_script("return window.clinicline_marker") == "same screen"
    shown = ui.find("body").text
    assert "Patient" not in shown, shown
    assert not re.search(r"555|100[123]", shown), shown
    assert not ui.driver.get_cookies() or all(c["name"] != "session" for c in ui.driver.get_cookies())
    ui.shot("display")
    with runtime.session_factory() as s:
        rooms = dict(s.execute(select(WalkinTicket.number, WalkinTicket.room)).all())
        assert rooms[1] == "4"
        assert rooms[2] == "2"


def test_the_day_sheet_downloads_as_a_pdf_and_a_csv_listing_every_appointment(ui, runtime, downloads):
    booked = [
        book(runtime, f"+1514555{3000 + n}", day=DAY, nth=n, person=f"Personne {n}").code for n in range(6)
    ]
    fill_queue(runtime, ["+15145551001"], named=True)
    ui.sign_in("julie")
    ui.wait_for("#daysheet-pdf")
    ui.find("#daysheet-pdf").click()
    pdf = wait_for_file(downloads, ".pdf")
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for n, code in enumerate(booked):
        assert code in text, (code, text)
        assert f"Personne {n}" in text, (code, text)
    assert "Patient 1001" in text
    assert "+15145553000" not in text
    ui.find("#daysheet-csv").click()
    sheet = wait_for_file(downloads, ".csv")
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert sorted(r[6] for r in rows[1:] if r[0] == "rendez-vous") == sorted(booked)
    assert sorted(r[4] for r in rows[1:] if r[0] == "rendez-vous") == [f"Personne {n}" for n in range(6)]


def test_the_week_and_any_day_are_one_click_apart_and_say_what_each_slot_is(ui, runtime, shots):
    code = book(runtime, "+15145553000", day=DAY + dt.timedelta(days=1), nth=1, person="Personne Un").code
    ui.sign_in("julie")
    ui.wait_for("#week-link")
    ui.click("#week-link")
    ui.wait_for("#week tr[data-practitioner='dre-tremblay']")
    ui.shot("week")
    ui.click("#week thead a[data-day='2026-12-08']")
    ui.wait_for("#agenda tr.slot.booked", "Personne Un")
    assert code in ui.find("#agenda").text
    assert ui.all("#agenda tr.slot.free")
    ui.shot("other-day")
    ui.click("#next-day")
    ui.wait_for("h1", "9 déc.")
    ui.click("#previous-week")
    ui.wait_for("h1", "2 déc.")
