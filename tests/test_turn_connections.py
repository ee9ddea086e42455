"""A connection the database closed costs no patient an answer, though the pool no longer pings."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from clinicline.app import create_app
from tests.support.apps import MARIE, PARC, TOKEN, signed_runtime
from tests.support.twilio_requests import Texter


@pytest.fixture
def postgres_line(postgres_admin_url, clock, tmp_path):
    from tests.conftest import _fresh_postgres_database

    url = _fresh_postgres_database(postgres_admin_url)
    rt = signed_runtime(url, clock, tmp_path)
    yield rt, url
    rt.dispose()


def test_a_webhook_whose_pooled_connection_was_closed_by_the_server_is_answered_normally(
    postgres_line, postgres_admin_url
):
    rt, url = postgres_line
    texter = Texter(create_app(runtime=rt).test_client(), TOKEN, MARIE, PARC)
    first = texter.send("AIDE").text
    assert first
    database = url.rsplit("/", 1)[1]
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # what a server restart or an idle timeout does to the pooled connection
        killed = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :db"),
            {"db": database},
        ).scalar()
    admin.dispose()
    assert killed >= 1
    again = texter.send("AIDE")
    assert again.status == 200
    assert again.text == first  # the help text again, not the fallback
