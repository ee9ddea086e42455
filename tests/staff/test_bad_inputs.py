"""The console's bad inputs: a page that says what was wrong (400 / 404), never a 500 or a huge header."""

from __future__ import annotations

import pytest

from clinicline.app import create_app
from core.jobs import attach_queue
from tests.conftest import _fresh_postgres_database, make_runtime
from tests.staff.conftest import add_staff, csrf, sign_in, text_of


@pytest.mark.parametrize(
    ("date", "says"),
    [
        ("0001-01-01", "trop loin"),
        ("9999-12-31", "trop loin"),
        ("2026-02-30", "pas valide"),
        ("demain", "pas valide"),
        ("2026-12-10T00:00", "pas valide"),
    ],
)
def test_a_date_out_of_reach_or_malformed_is_a_400_that_says_so(console, date, says):
    sign_in(console, "julie")
    response = console.get(f"/staff/parc/book?date={date}")
    assert response.status_code == 400
    assert says in text_of(response)


def test_the_far_ends_of_the_reachable_year_still_show_their_day(console):
    sign_in(console, "julie")
    assert console.get("/staff/parc/book?date=2027-12-08").status_code == 200
    assert console.get("/staff/parc/book?date=2025-12-07").status_code == 200


def test_a_huge_name_is_capped_before_it_goes_into_a_redirect(console):
    sign_in(console, "julie")
    response = console.post(
        "/staff/parc/book",
        data={"csrf_token": csrf(console), "phone": "12", "name": "Léa " * 3000, "date": "2026-12-10" * 100},
    )
    assert response.status_code == 302
    assert len(response.headers["Location"]) < 1200


def test_an_unknown_console_page_is_a_404_page_in_words(console):
    sign_in(console, "julie")
    response = console.get("/staff/parc/nothing-here/at/all")
    assert response.status_code == 404
    assert "n'existe pas" in text_of(response)


@pytest.fixture
def pg_console(postgres_admin_url, clock, tmp_path):
    rt = make_runtime(_fresh_postgres_database(postgres_admin_url), clock, tmp_path)
    add_staff(rt, ("julie",))
    attach_queue(rt, background=False)
    yield create_app(runtime=rt).test_client()
    rt.dispose()


def test_a_value_postgresql_refuses_is_a_bad_input_not_a_database_outage(pg_console):
    sign_in(pg_console, "julie")
    response = pg_console.post(
        "/staff/parc/queue/join",
        data={"csrf_token": csrf(pg_console), "phone": "5145552222", "name": "Lé\x00a"},
    )
    # The desk refuses such a name itself now; either way the receptionist reads that the value is not
    # valid, never that the database is unreachable.
    if response.status_code == 302:
        response = pg_console.get(response.headers["Location"])
    else:
        assert response.status_code == 400
    assert "pas valide" in text_of(response)
    assert "injoignable" not in text_of(response)
