"""The console in a real browser: headless Chromium signs in, reads the queue and calls the next patient."""

from __future__ import annotations

import shutil
import tempfile
import threading

import pytest
from werkzeug.serving import make_server

from clinicline.app import create_app
from core.jobs import attach_queue
from tests.staff.test_console import PASSWORD, seed_queue
from tests.support.servers import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser():
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
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def live_console(runtime):
    runtime.config = runtime.config.with_(staff_password=PASSWORD)
    attach_queue(runtime, background=False)
    server = make_server("127.0.0.1", free_port(), create_app(runtime=runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_receptionist_signs_in_and_calls_the_next_patient(browser, live_console, runtime, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    def wait_for(css: str):
        return WebDriverWait(browser, 15).until(seen.presence_of_element_located((By.CSS_SELECTOR, css)))

    seed_queue(runtime, ["+15145551001", "+15145551002", "+15145551003"])
    browser.get(f"{live_console}/staff/parc/")
    browser.find_element(By.ID, "name").send_keys("Julie")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    wait_for("#call-next")
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tr.ticket")
    assert [r.get_attribute("data-number") for r in rows] == ["1", "2", "3"]

    browser.find_element(By.ID, "call-next").click()
    assert "C'est fait." in wait_for("#notice").text
    first = browser.find_element(By.CSS_SELECTOR, '#queue tr.ticket[data-number="1"]')
    assert "called" in first.get_attribute("class")
    assert "Appelé" in first.text
    browser.save_screenshot(str(tmp_path / "console.png"))
