"""`newsdesk analyze` keeps direct quotes apart from reported speech, with each speaker's kind."""

from __future__ import annotations

from pathlib import Path

from newsdesk.analysis import analyze_inputs


def test_it_keeps_quotes_and_reported_speech_apart(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text(
        "Harbour plan approved\n\n"
        '"We will open the ferry route in June," said Anna Berg, the harbour board chair.\n\n'
        "Berg said the board would review the timetable after one season.\n\n"
        "Moscow said the talks would continue next week.\n",
        encoding="utf-8",
    )
    (record,) = analyze_inputs([str(text)])
    assert [q["speaker"] for q in record["quotes"]] == ["Anna Berg"]
    assert record["quotes"][0]["text"].startswith("We will open the ferry route")
    reported = {q["text"][:30]: q for q in record["reported"]}
    assert any(q["speaker"] == "Anna Berg" for q in reported.values())
    assert all(not q["text"].startswith("We will open") for q in reported.values())
    assert record["language"] == "en" and "quotes" in record["analyses"]["ran"]
    governments = [q for q in record["reported"] if q["speaker_kind"] == "government"]
    assert governments and governments[0]["speaker_country"] == "RU"
