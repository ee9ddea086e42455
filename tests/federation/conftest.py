"""Fixtures of the federation tests: the demo clinics (Parc and Westmount, 4 km apart) on a signed app."""

from __future__ import annotations

import pytest

from clinicline.app import create_app
from tests.support.apps import signed_runtime


@pytest.fixture
def fed_runtime(database_url, clock, tmp_path):
    rt = signed_runtime(database_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def app(fed_runtime):
    return create_app(runtime=fed_runtime)


@pytest.fixture
def client(app):
    return app.test_client()
