"""GET /metrics: Prometheus text behind a bearer token; turns, degraded answers, spool depth, messages, queues."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from clinicline.app import create_app
from tests.degraded.conftest import TOKEN, database_down
from tests.support.apps import MARIE, PARC
from tests.support.twilio_requests import Texter

SECRET = "scrape-me"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_without_a_configured_token_there_is_no_metrics_page(line):
    client = create_app(runtime=line).test_client()
    assert client.get("/metrics").status_code == 404


def test_a_wrong_token_is_refused(line):
    line.config = line.config.with_(metrics_token=SECRET)
    client = create_app(runtime=line).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_metrics_count_turns_degraded_answers_and_read_the_spool_and_the_queues(line):
    line.config = line.config.with_(metrics_token=SECRET)
    client = create_app(runtime=line).test_client()
    auth = {"Authorization": f"Bearer {SECRET}"}
    before = samples(client.get("/metrics", headers=auth).get_data(as_text=True))
    Texter(client, TOKEN, MARIE, PARC)("SANS RDV")
    with database_down(line):
        Texter(client, TOKEN, "+15145554321", PARC)("SANS RDV")
        down = client.get("/metrics", headers=auth)
    assert down.status_code == 200
    assert down.mimetype == "text/plain"
    now = samples(down.get_data(as_text=True))

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return now.get(key, 0) - before.get(key, 0)

    assert grew("clinicline_turns_total", channel="sms", outcome="ok") == 1
    assert grew("clinicline_turns_total", channel="sms", outcome="degraded") == 1
    assert grew("clinicline_degraded_answers_total", channel="sms", answer="walkin_recorded") == 1
    assert grew("clinicline_turn_seconds_count", channel="sms") == 2
    assert now[("clinicline_spool_depth", ())] == 1
    assert now[("clinicline_database_up", ())] == 0
    up = samples(client.get("/metrics", headers=auth).get_data(as_text=True))
    assert up[("clinicline_database_up", ())] == 1
    assert up[("clinicline_walkin_waiting", (("clinic", "parc"),))] == 1
