"""The core's tests race up to 60 threads, each in its own transaction (test_races.py, test_group_races.py,
test_offers.py): their runtime's pool is wide enough for all of them and waited on as long as a test
allows, so a busy machine slows a race down instead of failing it on the 2-second pool timeout a webhook
has (core/db.py)."""

from __future__ import annotations

import pytest

from tests.conftest import make_runtime

RACE_POOL = {"pool_size": 70, "max_overflow": 0, "pool_timeout": 60}


@pytest.fixture
def any_runtime(database_url, clock, tmp_path):
    """The shared fixture's runtime, on SQLite and on PostgreSQL, with the races' pool."""
    rt = make_runtime(database_url, clock, tmp_path, engine_options=RACE_POOL)
    yield rt
    rt.dispose()
