"""Statements: grouping quotes across articles, their kinds, misquotes, and speakers kept apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsdesk.pipeline.statements import (
    PARAPHRASED,
    TRIMMED,
    VERBATIM,
    QuoteInput,
    group,
    pairs_grouped,
    words,
)

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
SAID = "We will not reopen the harbour until the inspectors have finished their work"


def quote(n: int, text: str, speaker: str = "e1", article: int | None = None, **extra: object) -> QuoteInput:
    fields: dict[str, object] = {"direct": True, "anonymous": False, "description": ""} | extra
    return QuoteInput(
        id=n,
        article_id=article if article is not None else n,
        outlet_id=n * 10,
        published=T0 + timedelta(hours=n),
        speaker=speaker,
        text=text,
        direct=bool(fields["direct"]),
        anonymous=bool(fields["anonymous"]),
        description=str(fields["description"]),
    )


def test_words_fold_quote_marks_case_and_punctuation() -> None:
    assert words("“We’ll  NOT,” she—said.") == words('"we\'ll not" she said')


def test_it_groups_verbatim_trimmed_and_paraphrased_appearances_earliest_first() -> None:
    statements = group(
        [
            quote(2, f"“{SAID.upper()}!”"),
            quote(1, SAID + "."),
            quote(3, "until the inspectors have finished their work"),
            quote(4, "The harbour will not reopen until inspectors finish their work", direct=False),
            quote(5, "Ticket prices will rise next spring for every ferry line"),
        ]
    )
    assert [[a.quote.id for a in s.appearances] for s in statements] == [[1, 2, 3, 4], [5]]
    kinds = [a.kind for a in statements[0].appearances]
    assert kinds == [VERBATIM, VERBATIM, TRIMMED, PARAPHRASED]
    assert statements[0].canonical.id == 1 and statements[0].outlets == [10, 20, 30, 40]
    assert not statements[0].misquoted  # the paraphrase is reported speech, not a direct quote
    assert pairs_grouped(statements) == {(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)}


def test_two_direct_quotes_with_different_words_show_the_difference() -> None:
    statements = group([quote(1, SAID), quote(2, SAID.replace("inspectors", "investigators"))])
    [statement] = statements
    assert statement.misquoted
    changed = [d for d in statement.appearances[1].difference if d[0] != "equal"]
    assert changed == [("replace", "inspectors", "investigators")]


def test_it_never_groups_across_speakers_or_within_one_article() -> None:
    statements = group(
        [quote(1, SAID, speaker="e1"), quote(2, SAID, speaker="e2"), quote(3, SAID, article=1)]
    )
    assert pairs_grouped(statements) == set()


def test_anonymous_sources_group_only_when_described_alike() -> None:
    anonymous = {"speaker": "", "anonymous": True}
    statements = group(
        [
            quote(1, SAID, description="a senior EU official", **anonymous),
            quote(2, SAID, description="a senior EU official", **anonymous),
            quote(3, SAID, description="a harbour worker", **anonymous),
            quote(4, SAID, speaker=""),  # unattributed: left out
        ]
    )
    assert pairs_grouped(statements) == {(1, 2)}
    assert sorted(a.quote.id for s in statements for a in s.appearances) == [1, 2, 3]


def test_a_short_common_phrase_is_not_a_trim_of_a_long_quote() -> None:
    assert pairs_grouped(group([quote(1, SAID), quote(2, "their work")])) == set()


def test_a_long_quote_holding_two_statements_does_not_chain_them() -> None:
    first = "The ferry timetable for the winter will be published next week by the council"
    second = "Nobody will lose their job because of the closure of the eastern terminal"
    statements = group([quote(1, first), quote(2, second), quote(3, f"{first}. {second}")])
    assert (1, 2) not in pairs_grouped(statements)
    assert [a.kind for s in statements for a in s.appearances][-1] in (TRIMMED, VERBATIM)


def test_a_misquote_shows_against_the_earliest_direct_appearance_when_the_first_is_reported() -> None:
    reported = "She said they would not reopen the harbour until the inspectors had finished their work"
    statements = group(
        [
            quote(1, reported, direct=False),
            quote(2, SAID),
            quote(3, SAID.replace("inspectors", "investigators")),
        ]
    )
    [statement] = statements
    assert [bool(a.difference) for a in statement.appearances] == [False, False, True]
    changed = [d for d in statement.appearances[2].difference if d[0] != "equal"]
    assert changed == [("replace", "inspectors", "investigators")]
