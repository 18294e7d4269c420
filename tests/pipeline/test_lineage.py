"""pipeline/lineage.py: the outlet a text credits, a near-copy group's original, the tree of its
copies, and how much each changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.pipeline.lineage import (
    Member,
    change_share,
    credited,
    find_credits,
    kind_of,
    lineage,
    outlet,
    wire_outlets,
)

T0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
COURIER = outlet("courier.example", "The Morning Courier", "courier.example")
OUTLETS = [COURIER, *wire_outlets()]
BODY = " ".join(f"word{n} of the report" for n in range(60))


@pytest.mark.parametrize(
    ("text", "key", "cue"),
    [
        ("LONDON (Reuters) - The bank raised rates.", "reuters.com", "bracket"),
        ("WASHINGTON, March 3 (AP) — Congress passed the bill.", "apnews.com", "bracket"),
        ("(AFP) - Floods hit the north.", "afp.com", "bracket"),
        ("MOSCOW, March 3. /TASS/. The talks ended.", "tass.ru", "bracket"),
        ("The bank raised rates.\n— AP", "apnews.com", "dash"),
        ("The bank raised rates. – Reuters", "reuters.com", "dash"),
        ("BERLIN, dpa - The coalition held.", "dpa.com", "dateline"),
        ("The bank raised rates, according to the Associated Press.", "apnews.com", "reliance"),
        ("The bank raised rates, Reuters reported on Tuesday.", "reuters.com", "reliance"),
        ("Text.\n\nWith reporting by Agence France-Presse.", "afp.com", "copy"),
        ("Text.\n\nThe Associated Press contributed to this report.", "apnews.com", "copy"),
        ("Text.\n\nThis story was originally published by The Morning Courier.", "courier.example", "copy"),
        ("Text.\n\nSource: courier.example", "courier.example", "copy"),
        ("Text. Republished with permission from Morning Courier.", "courier.example", "copy"),
    ],
)
def test_it_finds_the_general_forms_of_credit(text: str, key: str, cue: str) -> None:
    [first, *_] = find_credits(text, OUTLETS)
    assert (first.key, first.cue) == (key, cue)
    assert credited(text, OUTLETS) == key


@pytest.mark.parametrize(
    "text",
    [
        "He told Reuters the plan had failed.",  # an interview, not a credit of the text
        "A photo (AP Photo/Evan Vucci) of the summit.",  # a photo credit
        "The map showed the gap; happy people ap plauded.",  # "ap" in words and lower case
        "Reuters is a news agency founded in London.",
        "",
    ],
)
def test_mentions_that_are_no_credit_are_left_out(text: str) -> None:
    assert find_credits(text, OUTLETS) == []


def test_a_copy_credit_outranks_a_reliance_credit() -> None:
    text = "The ministry said so, according to the Morning Courier.\n\nLONDON (Reuters) - More."
    assert [c.key for c in find_credits(text, OUTLETS)] == ["reuters.com", "courier.example"]


def test_an_outlet_goes_by_its_registry_and_wire_names() -> None:
    ap = outlet("apnews.com", "Associated Press", "apnews.com")
    assert {"Associated Press", "AP", "apnews.com"} <= set(ap.names)
    assert credited("(AP) — Text.", [ap]) == "apnews.com"
    guardian = outlet("theguardian.com", "The Guardian", "theguardian.com")
    assert "Guardian" in guardian.names


def test_change_share_and_kinds() -> None:
    same = change_share(BODY, "(Reuters) - " + BODY)
    assert same.kind == "verbatim" and same.change < 0.05
    half = " ".join(BODY.split()[:120])
    trimmed = change_share(BODY, half)
    assert trimmed.kind == "edited" and trimmed.change == pytest.approx(0.5) and trimmed.added == 0
    own = change_share(BODY, half + " " + " ".join(f"fresh{n}" for n in range(80)))
    assert own.kind == "rewritten" and own.added == pytest.approx(0.4)
    assert kind_of(0.0, 0.0) == "verbatim" and change_share("", "").kind == "verbatim"


def member(pk: int, key: str, hours: float, text: str, credits: tuple[str, ...] = ()) -> Member:
    return Member(id=pk, outlet=key, published=T0 + timedelta(hours=hours), text=text, credits=credits)


def test_the_credited_outlets_article_is_the_original_though_later() -> None:
    group = [
        member(1, "a.example", 0, "(Reuters) " + BODY, ("reuters.com",)),
        member(2, "b.example", 1, BODY + " more words here", ("reuters.com",)),
        member(3, "reuters.com", 3, "(Reuters) " + BODY, ("reuters.com",)),  # its own dateline
    ]
    found = lineage(group)
    assert found.original == 3 and found.reason == "credited"
    assert {c.id for c in found.copies} == {1, 2}
    assert all(c.credits_original and c.parent == 3 for c in found.copies)


def test_without_a_credit_in_the_group_the_earliest_wins_ties_by_id() -> None:
    group = [
        member(7, "a.example", 1, BODY, ("apnews.com",)),  # credits an outlet not in the group
        member(5, "b.example", 1, BODY),
        member(9, "c.example", 0.5, BODY),
    ]
    found = lineage(group)
    assert found.original == 9 and found.reason == "earliest"
    assert [c.credited for c in found.copies] == [None, "apnews.com"]
    assert not any(c.credits_original for c in found.copies)
    tie = lineage([member(4, "a.example", 0, BODY), member(2, "b.example", 0, BODY)])
    assert tie.original == 2


def test_a_copy_of_a_copy_hangs_under_the_copy() -> None:
    extra = " ".join(f"added{n} line" for n in range(20))
    group = [
        member(1, "wire.example", 0, BODY),
        member(2, "b.example", 1, f"{BODY} {extra}", ("wire.example",)),
        # it carries B's text and B's credit of the wire along
        member(3, "c.example", 2, f"{BODY} {extra} and one more", ("wire.example",)),
        member(4, "d.example", 3, BODY, ("b.example",)),  # credits B, but B's text is not what it took
    ]
    found = lineage(group)
    parents = {c.id: c.parent for c in found.copies}
    assert found.original == 1 and parents == {2: 1, 3: 2, 4: 1}
    by_id = {c.id: c for c in found.copies}
    assert by_id[3].credits_original and not by_id[3].credits_parent
    assert found.children(1) == [by_id[2], by_id[4]]


def test_the_credit_breaks_a_tie_between_equal_texts() -> None:
    group = [
        member(1, "wire.example", 0, BODY),
        member(2, "b.example", 1, BODY, ("wire.example",)),
        member(3, "c.example", 2, BODY, ("b.example",)),
    ]
    found = lineage(group)  # one vote each: the earlier outlet's article
    assert found.original == 1 and {c.id: c.parent for c in found.copies} == {2: 1, 3: 2}
    # crediting B alone makes B the original: no member says the wire's text is the source
    alone = lineage([group[0], member(2, "b.example", 1, BODY), group[2]])
    assert alone.original == 2 and {c.id: c.parent for c in alone.copies} == {1: 2, 3: 2}


def test_an_empty_group_is_refused() -> None:
    with pytest.raises(ValueError):
        lineage([])
