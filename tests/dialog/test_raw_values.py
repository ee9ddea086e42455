"""A reply's raw values (dates, times, composed parts) survive the conversation's state, as the phone's
"*" (repeat) reads them back from it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.dialog.types import Parts, Say, value_from_json, value_to_json


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 12, 10, 9, 15),
        dt.date(2026, 12, 10),
        dt.time(14, 30),
        "+15145550199",
        7,
        Say("limit_before", {"time": dt.time(12)}),
        Parts(
            (Say("limit_day", {"date": dt.date(2026, 12, 11)}), Say("limit_after", {"time": dt.time(15)})),
            "\n",
        ),
    ],
    ids=["datetime", "date", "time", "phone", "int", "say", "parts"],
)
def test_a_raw_value_comes_back_from_json_as_it_was(value):
    kept = json.loads(json.dumps(value_to_json(value)))
    back = value_from_json(kept)
    assert back == value
    assert type(back) is type(value)


def test_a_plain_dict_is_not_taken_for_a_tagged_value():
    assert value_from_json({"a": 1}) == {"a": 1}
