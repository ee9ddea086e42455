"""`clinicline understand` in single and --jsonl modes."""

import json

from click.testing import CliRunner

from clinicline.understand_cmd import understand_command


def test_single_message_prints_one_json_object():
    result = CliRunner().invoke(
        understand_command, ["--lang", "fr", "--now", "2026-12-01T09:00", "demain matin"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["intent"] == "book"
    assert data["date"] == "2026-12-02"
    assert data["part_of_day"] == "morning"
    assert data["lang"] == "fr"
    assert data["time"] is None
    assert data["choice"] is None


def test_single_message_keeps_accents_in_output():
    result = CliRunner().invoke(understand_command, ["--now", "2026-12-01T09:00", "déplacer mon rdv"])
    assert json.loads(result.output)["intent"] == "reschedule"


def test_jsonl_answers_every_line_in_order_with_per_line_now_and_lang():
    lines = [
        {"text": "jeudi 14h", "lang": "fr"},
        {"text": "tomorrow at 3", "now": "2026-12-05"},
        {"text": "2", "lang": "en", "now": "2026-12-01T10:00"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    result = CliRunner().invoke(
        understand_command, ["--jsonl", "--now", "2026-12-01T09:00", "--lang", "fr"], input=stdin
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["date"] for o in out] == ["2026-12-03", "2026-12-06", None]
    assert [o["time"] for o in out] == ["14:00", "15:00", None]
    assert [o["lang"] for o in out] == ["fr", "en", "en"]
    assert out[2]["intent"] == "choice"
    assert out[2]["choice"] == 2


def test_jsonl_rejects_a_bad_line_with_its_number():
    result = CliRunner().invoke(understand_command, ["--jsonl"], input='{"text": "oui"}\nnot json\n')
    assert result.exit_code != 0
    assert "line 2" in result.output


def test_missing_text_is_a_usage_error():
    assert CliRunner().invoke(understand_command, []).exit_code == 2


def test_the_details_the_dialog_reads_are_printed_under_their_names():
    result = CliRunner().invoke(
        understand_command,
        [
            "--lang",
            "fr",
            "--now",
            "2026-12-02T09:00",
            "je pourrai pas jeudi, tu peux me le changer pour lundi?",
        ],
    )
    data = json.loads(result.output)
    assert data["intent"] == "reschedule"
    assert data["date"] == "2026-12-07"
    assert data["old_date"] == "2026-12-03"
    for key in ("not_before", "not_after", "pick_last", "name", "self_harm", "smalltalk"):
        assert key in data
