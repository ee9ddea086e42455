"""The console in a real browser (headless Chromium): reception and manager accounts of two clinics.

Screenshots of every page go to $CLINICLINE_SCREENSHOTS when it is set (else the test's temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from core.models import Appointment, InboxThread, Patient, Person
from core.timeutil import local_day_bounds
from tests.staff.conftest import PASSWORD
from tests.support.apps import MARIE
from tests.support.arrange import book, fill_queue
from tests.support.servers import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_SECONDS = 20


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail(
            "Chromium and ChromeDriver are needed: apt-get install chromium chromium-driver "
            "(./scripts/test.sh installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="clinicline-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # to read HTTP statuses
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def live_console(app):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("CLINICLINE_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Console:
    """The browser on the console: sign in, wait for what should appear, take screenshots."""

    def __init__(self, driver, base: str, shots: Path):
        self.driver, self.base, self.shots = driver, base, shots

    def wait_for(self, css: str, text: str | None = None):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        def seen(driver):
            for element in driver.find_elements(By.CSS_SELECTOR, css):
                if text is None or text in element.text:
                    return element
            return False

        # A page that refreshes its parts by itself (the inbox, the live day) may replace an element between
        # finding it and reading it: that is "look again", not a failure.
        wait = WebDriverWait(self.driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,))
        return wait.until(seen, f"{css} {text or ''}")

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def open(self, path: str):
        self.driver.get(self.base + path)

    def click(self, css: str):
        """Click something that loads a new page, and wait until the old one is gone."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.find("html")
        for attempt in range(5):  # a part the page refreshed by itself is found again, then clicked
            try:
                self.find(css).click()
                break
            except StaleElementReferenceException:
                if attempt == 4:
                    raise

        def replaced(driver):
            try:
                page.is_enabled()  # any call on a replaced element raises
            except StaleElementReferenceException:
                return driver.execute_script("return document.readyState") == "complete"
            return False

        # While the old page goes away, Chrome may briefly answer with other errors: they mean "not yet".
        WebDriverWait(self.driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(replaced)

    def sign_in(self, login: str, password: str = PASSWORD):
        self.open("/staff/login")
        self.find("#login").send_keys(login)
        self.find("#password").send_keys(password)
        self.click("#sign-in")

    def sign_out(self):
        self.click("#logout")
        self.wait_for("#notice", "déconnecté")

    def text(self) -> str:
        return self.find("main").text

    def shot(self, name: str):
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def statuses(self, path: str) -> list[int]:
        """HTTP statuses the browser received for documents at this path (from Chrome's network log)."""
        found = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.responseReceived":
                response = message["params"]["response"]
                if (
                    response["url"].split("?")[0] == self.base + path
                    and message["params"]["type"] == "Document"
                ):
                    found.append(response["status"])
        return found


@pytest.fixture
def ui(browser, live_console, shots):
    return Console(browser, live_console, shots)


def test_a_receptionist_signs_in_and_calls_the_next_patient(ui, runtime):
    fill_queue(runtime, ["+15145551001", "+15145551002", "+15145551003"], named=True)
    ui.open("/staff/parc/")
    ui.wait_for("#login")
    ui.shot("login")
    ui.find("#login").send_keys("julie")
    ui.find("#password").send_keys(PASSWORD)
    ui.click("#sign-in")
    ui.wait_for("#call-next")
    rows = ui.all("#queue tr.ticket")
    assert [r.get_attribute("data-number") for r in rows] == ["1", "2", "3"]
    ui.click("#call-next")
    assert "C'est fait." in ui.wait_for("#notice").text
    first = ui.find('#queue tr.ticket[data-number="1"]')
    assert "called" in first.get_attribute("class")
    assert "Appelé" in first.text
    ui.shot("day-reception")


def test_each_account_sees_only_its_clinics_and_forged_ids_are_not_found(ui, runtime):
    parc_appointment = book(runtime, MARIE, clinic="parc", day=runtime.now().date(), person="Marie Lavoie").id
    westmount_appointment = book(
        runtime, MARIE, clinic="westmount", day=runtime.now().date(), person="Marie Lavoie"
    ).id
    accounts_of = {
        "julie": ("parc", "Clinique du Parc", westmount_appointment, "westmount"),
        "marc": ("parc", "Clinique du Parc", westmount_appointment, "westmount"),
        "will": ("westmount", "Westmount Family Clinic", parc_appointment, "parc"),
        "wendy": ("westmount", "Westmount Family Clinic", parc_appointment, "parc"),
    }
    for login, (own, own_name, forged_id, other) in accounts_of.items():
        ui.sign_in(login)
        ui.wait_for("h1", own_name)
        assert ui.driver.current_url.endswith(f"/staff/{own}/")
        ui.shot(f"day-{login}")
        managers_links = bool(ui.all("#nav-audit"))
        assert managers_links == (login in ("marc", "wendy"))
        ui.open(f"/staff/{other}/")
        ui.wait_for("#error", "n'existe pas")
        ui.open(f"/staff/{own}/appointments/{forged_id}/move")
        ui.wait_for("#error", "n'existe pas")
        ui.open(f"/staff/{other}/appointments/{forged_id}/move")
        ui.wait_for("#error", "n'existe pas")
        assert ui.statuses(f"/staff/{own}/appointments/{forged_id}/move")[-1] == 404
        if login == "julie":
            ui.shot("not-found")
        ui.sign_out()


def test_the_sixth_wrong_password_in_a_minute_is_refused_with_429_and_a_message(ui):
    for attempt in range(1, 7):
        ui.sign_in("marc", "not-the-password")
        ui.wait_for("#error")
        if attempt < 6:
            assert "Identifiant ou mot de passe incorrect" in ui.find("#error").text
    assert "Trop d'essais" in ui.find("#error").text
    assert "Réessayez dans" in ui.find("#error").text
    answers = [status for status in ui.statuses("/staff/login") if status != 200]  # 200: the form itself
    assert answers == [401] * 5 + [429]
    ui.shot("sign-in-throttled")


def test_logout_kills_the_session_and_an_old_cookie_no_longer_works(ui):
    ui.sign_in("julie")
    ui.wait_for("#call-next")
    old = ui.driver.get_cookie("session")
    ui.sign_out()
    ui.driver.delete_all_cookies()
    ui.driver.add_cookie({"name": "session", "value": old["value"], "path": "/"})
    ui.open("/staff/parc/")
    ui.wait_for("#sign-in")
    assert "/staff/login" in ui.driver.current_url


def wait_for_file(folder: Path, suffix: str) -> Path:
    from selenium.webdriver.support.ui import WebDriverWait

    def done(_):
        files = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        return files[0] if files else False

    return WebDriverWait(None, WAIT_SECONDS, poll_frequency=0.2).until(done, f"no {suffix} downloaded")


def test_a_manager_exports_a_patients_data_then_erases_it_and_the_days_counts_stay(
    ui, runtime, downloads, staff_ids
):
    appointment = book(runtime, MARIE, clinic="parc", day=runtime.now().date(), person="Marie Lavoie")
    appointment_id, code = appointment.id, appointment.code
    day = runtime.now().date()

    def counts():
        start, end = local_day_bounds(day, "America/Toronto")
        with runtime.session_factory() as s:
            return s.scalar(
                select(func.count())
                .select_from(Appointment)
                .where(
                    Appointment.clinic_id == "parc",
                    Appointment.starts_at >= start,
                    Appointment.starts_at < end,
                )
            )

    before = counts()
    ui.sign_in("marc")
    ui.wait_for("#nav-patient")
    ui.click("#nav-patient")
    ui.wait_for("#export-form")
    ui.shot("patient-rights")
    ui.find("#export-phone").send_keys("514 555-1234")
    ui.find("#export-phone-again").send_keys("(514) 555-1234")
    ui.find("#export-json").click()
    exported = json.loads(wait_for_file(downloads, ".json").read_text(encoding="utf-8"))
    assert [(a["id"], a["code"]) for a in exported["appointments"]] == [(appointment_id, code)]
    assert [p["first_name"] + " " + p["last_name"] for p in exported["people"]] == ["Marie Lavoie"]

    ui.open("/staff/parc/patient")
    ui.find("#erase-phone").send_keys("5145551234")
    ui.find("#erase-phone-again").send_keys("5145551234")
    ui.click("#erase")
    ui.wait_for("#notice", "effacées")
    assert counts() == before
    with runtime.session_factory() as s:
        assert s.scalar(select(Patient).where(Patient.phone == MARIE)) is None
        assert s.scalar(select(func.count()).select_from(Person).where(Person.first_name == "Marie")) == 0
        assert s.get(Appointment, appointment_id).patient.phone.startswith("erased-")

    ui.click("#nav-audit")
    ui.wait_for("#audit", "patient.erased")
    ui.shot("audit")
    ui.click("#nav-accounts")
    ui.wait_for("#accounts", "Julie Tremblay")
    ui.shot("accounts")


def test_a_patients_text_reaches_the_inbox_the_answer_reaches_the_patient_and_the_reply_lands_in_the_thread(
    ui, runtime, texter, fake_twilio
):
    ui.sign_in("julie")
    ui.wait_for("#call-next")
    ui.click("#nav-inbox")
    ui.wait_for("#no-threads")
    ui.shot("inbox-empty")

    texter("je veux parler à quelqu'un")  # the page is not reloaded: the list refreshes itself
    ui.wait_for("#threads tr.thread.open a", "+15145551234")
    assert ui.find("#inbox-count").text == "1"
    ui.shot("inbox")
    ui.click("#threads tr.thread.open a")
    ui.wait_for("#conversation li.in", "je veux parler à quelqu'un")
    ui.find("#reply").send_keys("Bonjour, ici Julie de la Clinique du Parc. Comment puis-je vous aider ?")
    ui.click("#send-reply")
    ui.wait_for("#notice", "C'est fait")
    runtime.jobs.drain()  # the outbound sender's job
    [sent] = fake_twilio.messages_to(MARIE)
    assert sent["body"].startswith("Bonjour, ici Julie")
    ui.wait_for("#conversation li.out .sms-status", "envoyé")

    texter("Je voudrais déplacer mon rendez-vous de jeudi")
    ui.wait_for("#conversation li.in", "déplacer mon rendez-vous")
    ui.shot("thread")
    with runtime.session_factory() as s:
        [thread] = s.scalars(select(InboxThread)).all()
        assert [m.direction for m in thread.messages] == ["in", "out", "in"]
    ui.click("#close-thread")
    ui.wait_for("#threads tr.thread.closed")


def test_screens_in_english_and_with_a_long_day(ui, runtime):
    fill_queue(runtime, [f"+1514555{n:04d}" for n in range(1001, 1009)], named=True)
    book(runtime, MARIE, clinic="parc", day=runtime.now().date(), person="Marie Lavoie")
    ui.sign_in("marc")
    ui.wait_for("#call-next")
    ui.open("/staff/parc/?lang=en")
    ui.wait_for("#call-next")
    ui.shot("day-manager-en")
    ui.open("/staff/parc/book?date=2026-12-08")
    ui.wait_for("#slot-form")
    ui.shot("book-en")
    ui.open("/staff/parc/book?date=0001-01-01")
    ui.wait_for("#error")
    ui.shot("bad-date-en")
