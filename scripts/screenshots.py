"""Screenshots of the day page and the waiting-room screen, for the README: docs/screenshots/day.png, display.png.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts a demo server (the embedded one, waitress, on a free port) on a fresh SQLite file in a temporary
folder, with the demo clinics at a fixed morning (Monday 7 December 2026, 09:40 in Montréal), a walk-in
queue, a day of appointments and a screen link; signs a receptionist in with headless Chromium, and saves
the two pages. Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from waitress.server import create_server  # noqa: E402

from clinicline.app import create_app  # noqa: E402
from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.jobs import attach_queue  # noqa: E402
from core.models import CallbackRequest, Clinic  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.services import accounts, board, booking, live_board, people, walkin  # noqa: E402
from core.services.patients import get_or_create_patient  # noqa: E402

MORNING = dt.datetime(2026, 12, 7, 14, 40, tzinfo=dt.UTC)  # 09:40 in Montréal
LOGIN, PASSWORD = "julie", "demo-password-for-screens"
WALK_INS = ["Léa Tremblay", "Olivier Gagnon", "Chloé Roy", "William Côté", "Emma Bouchard", "Noah Gauthier"]
BOOKED = ["Jacques Morin", "Sophie Lavoie", "Mohamed Haddad", "Nathalie Fortin", "Isabelle Pelletier"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_runtime(folder: Path) -> Runtime:
    config = Config.from_env({}, database_url=f"sqlite:///{folder / 'demo.db'}", instance_path=folder)
    engine = make_engine(config.database_url)
    upgrade(engine)
    runtime = Runtime(
        config=config, engine=engine, session_factory=make_session_factory(engine), clock=lambda: MORNING
    )
    with runtime.session_factory.begin() as s:
        load_clinics(s, EXAMPLE_FILE, MORNING, config.slot_horizon_days)
    attach_queue(runtime, background=False)
    return runtime


def seed(runtime: Runtime) -> str:
    """A morning's queue (two called, to rooms 4 and 2), appointments, a callback; returns the screen's token."""
    now = MORNING
    with runtime.session_factory.begin() as s:
        accounts.create(s, LOGIN, "Julie Tremblay", PASSWORD, {"parc": "reception"}, now)
        parc = s.get(Clinic, "parc")
        for n, name in enumerate(WALK_INS):
            patient = get_or_create_patient(s, f"+1514555{1100 + n:04d}")
            person = people.person_for(s, patient, name, now)
            walkin.join_walkin_queue(
                s, parc, patient, "sms", now - dt.timedelta(minutes=40 - 5 * n), person=person
            )
        for room in ("4", "2"):
            walkin.call_next(s, parc, now, actor="Julie Tremblay", room=room)
        slots = board.free_slots_of_day(s, parc, now.date(), now)
        for n, name in enumerate(BOOKED):
            patient = get_or_create_patient(s, f"+1514555{2100 + n:04d}")
            person = people.person_for(s, patient, name, now)
            booking.book(s, slots[n * 3].id, patient, "voice", now, person=person)
        s.add(CallbackRequest(clinic_id="parc", phone="+15145553100", name="Gilles Bergeron", created_at=now))
        _, token = live_board.rotate_link(s, parc, "Julie Tremblay", now)
    return token


def wait_ready(base: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def chromium(width: int, height: int, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = (
        shutil.which("chromium") or shutil.which("chromium-browser"),
        shutil.which("chromedriver"),
    )
    if not (browser and driver):
        raise SystemExit("Chromium and ChromeDriver are needed: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(driver, css: str, text: str | None = None, seconds: float = 15):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def seen(d):
        return next(
            (e for e in d.find_elements(By.CSS_SELECTOR, css) if text is None or text in e.text), False
        )

    return WebDriverWait(driver, seconds).until(seen, css)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="clinicline-screens-"))
    runtime = demo_runtime(folder)
    token = seed(runtime)
    server = create_server(create_app(runtime=runtime), host="127.0.0.1", port=free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        wait_ready(base)
        from selenium.webdriver.common.by import By

        profile = tempfile.mkdtemp(prefix="clinicline-chromium-")
        driver = chromium(1280, 1000, profile)
        try:
            driver.get(base + "/staff/login")
            driver.find_element(By.CSS_SELECTOR, "#login").send_keys(LOGIN)
            driver.find_element(By.CSS_SELECTOR, "#password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "#sign-in").click()
            wait_for(driver, '#queue tr.ticket[data-number="6"]')
            driver.find_element(By.CSS_SELECTOR, "#call-room").send_keys("4")
            driver.save_screenshot(str(args.out / "day.png"))
            driver.set_window_size(1280, 863)  # a 1280x720 page, as on a TV
            driver.delete_all_cookies()  # the TV: no staff session
            driver.get(f"{base}/display/{token}")
            wait_for(driver, "#latest-primary", "Numéro 2")
            driver.save_screenshot(str(args.out / "display.png"))
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    finally:
        server.close()
        runtime.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"wrote {args.out / 'day.png'} and {args.out / 'display.png'}")


if __name__ == "__main__":
    main()
