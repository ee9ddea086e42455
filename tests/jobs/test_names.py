"""Every job reference in core/jobs/names.py names a function the queue can import and run."""

from __future__ import annotations

import importlib

import pytest

from core.jobs import names


@pytest.mark.parametrize("path", names.ALL)
def test_each_job_reference_resolves_to_a_function(path):
    module, _, attribute = path.rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_every_constant_is_listed_once():
    constants = {value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)}
    assert constants == set(names.ALL)
    assert len(names.ALL) == len(set(names.ALL))
