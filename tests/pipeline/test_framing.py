"""Framing across outlets on invented articles: contested terms, aligned terms, verbs of saying, balance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk.pipeline.framing import (
    ALIGNED,
    ArticleText,
    DeskSpread,
    LexiconError,
    OutletFacts,
    aligned_terms,
    balance,
    contested_terms,
    find_framing,
    load_lexicon,
    parse_lexicon,
    saying_shares,
    unquoted,
)


def article(n: int, outlet: str, text: str, title: str = "", language: str = "en", cues=None) -> ArticleText:  # type: ignore[no-untyped-def]
    return ArticleText(id=n, outlet=outlet, language=language, title=title, text=text, cues=cues)


def choice(found, set_id):  # type: ignore[no-untyped-def]
    return next(c for c in found if c.id == set_id)


# --- the lexicon


def test_the_shipped_lexicon_loads_with_descriptions_and_english_first() -> None:
    lexicon = load_lexicon()
    english = lexicon.sets_of("en")
    assert len(english) >= 20
    assert {"kyiv", "myanmar", "mumbai", "rulers", "armed-groups"} <= {s.id for s in english}
    assert all(s.description and len(s.terms) >= 2 for s in english)
    assert {"claimed", "insisted", "admitted"} <= lexicon.saying["en"].loaded
    assert {"said", "stated"} <= lexicon.saying["en"].neutral
    assert lexicon.sets_of("de") and lexicon.saying_of("fr") is not None


def test_a_user_lexicon_is_read_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    data = {
        "languages": {
            "en": {
                "sets": [
                    {
                        "id": "pets",
                        "kind": "label",
                        "description": "A pet.",
                        "terms": {"cat": [], "kitty": ["kitty", "kitties"]},
                    }
                ]
            }
        }
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    lexicon = load_lexicon(str(path))
    found = contested_terms(
        [article(1, "A", "The cat slept."), article(2, "B", "Two kitties slept.")], lexicon
    )
    assert choice(found, "pets").by_outlet == {"A": {"cat": 1}, "B": {"kitty": 1}}


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"languages": []},
        {"languages": {"en": {"sets": [{"id": "x", "terms": {"only": []}}]}}},
        {"languages": {"en": {"sets": [{"terms": {"a": [], "b": []}}]}}},
        {"languages": {"en": {"sets": [{"id": "x", "terms": {"a": "not a list", "b": []}}]}}},
    ],
)
def test_a_malformed_lexicon_is_refused_with_a_reason(data: object) -> None:
    with pytest.raises(LexiconError):
        parse_lexicon(data)


def test_an_unreadable_lexicon_file_is_a_lexicon_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LexiconError, match="bad.json"):
        load_lexicon(str(tmp_path / "bad.json"))


# --- contested terms


def test_outlets_that_spell_a_place_differently_are_shown_side_by_side() -> None:
    found = contested_terms(
        [
            article(1, "Kyiv Post", "Talks in Kyiv went on. Kyiv said no.", title="Kyiv talks"),
            article(2, "Old Wire", "Talks in Kiev went on late into the night."),
            article(3, "Third", "Officials in Kyiv met."),
        ],
        load_lexicon(),
    )
    kyiv = choice(found, "kyiv")
    assert kyiv.kind == "place" and kyiv.divergent
    assert kyiv.terms == ["Kyiv", "Kiev"]
    assert kyiv.by_outlet == {"Kyiv Post": {"Kyiv": 3}, "Old Wire": {"Kiev": 1}, "Third": {"Kyiv": 1}}


def test_a_set_with_only_one_term_used_is_not_shown() -> None:
    found = contested_terms(
        [article(1, "A", "The government met in Kyiv."), article(2, "B", "The government spoke in Kyiv.")],
        load_lexicon(),
    )
    assert found == []


def test_labels_of_groups_count_per_outlet_and_forms_join_their_term() -> None:
    found = contested_terms(
        [
            article(1, "A", "A militant was seen. Militants fired; the rebel-held town fell."),
            article(2, "B", "The terrorists fired. A terrorist was caught."),
        ],
        load_lexicon(),
    )
    groups = choice(found, "armed-groups")
    assert groups.by_outlet == {"A": {"militants": 2, "rebels": 1}, "B": {"terrorists": 2}}
    assert groups.divergent


def test_proper_names_match_case_and_exception_phrases_do_not_count() -> None:
    found = contested_terms(
        [
            article(
                1, "A", "We ate turkey. The sanctions regime held. Türkiye said no. The regime's army moved."
            ),
            article(2, "B", "Turkey said no, and the government agreed."),
        ],
        load_lexicon(),
    )
    assert choice(found, "turkiye").by_outlet == {"A": {"Türkiye": 1}, "B": {"Turkey": 1}}
    assert choice(found, "rulers").by_outlet == {"A": {"regime": 1}, "B": {"government": 1}}


def test_words_inside_quote_marks_are_the_speakers_not_the_outlets() -> None:
    text = 'The minister called them "terrorists who must be stopped" on Monday. The rebels withdrew.'
    assert "terrorists" not in unquoted(text) and "rebels" in unquoted(text)
    found = contested_terms([article(1, "A", text), article(2, "B", "The rebels left.")], load_lexicon())
    assert found == []


def test_each_language_is_read_with_its_own_sets() -> None:
    found = contested_terms(
        [
            article(1, "Zeitung", "Die Regierung in Kiew schwieg.", language="de"),
            article(2, "Blatt", "In Kyjiw sprach das Regime.", language="de"),
            article(3, "Wire", "Kiev is not Kiew.", language="en"),
        ],
        load_lexicon(),
    )
    kyiv = choice(found, "de:kyiv")
    assert kyiv.by_outlet == {"Zeitung": {"Kiew": 1}, "Blatt": {"Kyjiw": 1}}
    assert "kyiv" not in {c.id for c in found}  # English reads only "Kiev": one term


# --- aligned terms


def test_spellings_of_one_name_in_the_same_slot_are_aligned() -> None:
    found = aligned_terms(
        [
            article(1, "A", "President Volodymyr Zelensky addressed parliament. Later Zelensky travelled."),
            article(2, "B", "President Volodymyr Zelenskyy addressed lawmakers in the evening."),
        ],
        load_lexicon(),
    )
    [group] = found
    assert group.kind == ALIGNED
    assert set(group.terms) == {"Zelensky", "Zelenskyy"}
    assert group.by_outlet == {"A": {"Zelensky": 2}, "B": {"Zelenskyy": 1}}
    assert group.example == "volodymyr … addressed"


def test_names_of_different_people_numbers_and_synonyms_do_not_show() -> None:
    articles = [
        article(1, "A", "Senator Obama spoke at noon. About 40 protesters gathered. Police shut roads."),
        article(2, "B", "Senator Romney spoke at noon. About 45 protesters gathered. Police close roads."),
    ]
    assert aligned_terms(articles, load_lexicon()) == []
    # with any two words allowed, the synonyms show (the measured noise that keeps this off)
    opened = aligned_terms(articles, load_lexicon(), open_vocabulary=True)
    assert [set(c.terms) for c in opened] == [{"shut", "close"}]


def test_a_new_rival_of_a_lexicon_term_is_aligned() -> None:
    found = aligned_terms(
        [
            article(1, "A", "Armed militants attacked the border post at dawn."),
            article(2, "B", "Armed extremists attacked the border post at dawn."),
        ],
        load_lexicon(),
    )
    assert [set(c.terms) for c in found] == [{"militants", "extremists"}]


def test_an_outlet_that_uses_both_words_chose_neither() -> None:
    found = aligned_terms(
        [
            article(1, "A", "Armed militants attacked the post. Later extremists fled."),
            article(2, "B", "Armed extremists attacked the post."),
        ],
        load_lexicon(),
    )
    assert found == []


def test_forms_and_spellings_of_one_common_word_are_not_framing() -> None:
    found = aligned_terms(
        [
            article(1, "A", "Defence ministers said the national defence budget grew."),
            article(2, "B", "Defense ministers said the national defense budget grew."),
        ],
        load_lexicon(),
        open_vocabulary=True,
    )
    assert found == []


def test_one_outlet_has_nothing_to_align() -> None:
    assert aligned_terms([article(1, "A", "Kiev said."), article(2, "A", "Kyiv said.")], load_lexicon()) == []


# --- verbs of saying


def test_verbs_of_saying_from_the_quotes_cues_give_each_outlets_loaded_share() -> None:
    shares = saying_shares(
        [
            article(1, "Calm", "", cues=("said", "said", "told")),
            article(2, "Sharp", "", cues=("claimed", "insisted", "said", "according to")),
            article(3, "Sharp", "", cues=("admitted",)),
        ],
        load_lexicon(),
    )
    sharp, calm = shares
    assert (sharp.outlet, sharp.loaded, sharp.neutral) == ("Sharp", 3, 2)
    assert sharp.loaded_verbs == {"claimed": 1, "insisted": 1, "admitted": 1}
    assert sharp.loaded_share == pytest.approx(0.6)
    assert (calm.outlet, calm.loaded, calm.neutral, calm.loaded_share) == ("Calm", 0, 3, 0.0)
    assert not sharp.from_text


def test_without_cues_verbs_are_read_next_to_quote_marks_or_before_that() -> None:
    text = (
        "The group claimed responsibility for the blast. "
        '"We did nothing," the minister insisted. She claimed that the army had left. '
        "Er behauptete, dass alles gut sei."
    )
    [share] = saying_shares([article(1, "A", text)], load_lexicon())
    assert share.from_text
    assert share.loaded_verbs == {"insisted": 1, "claimed": 1}  # not "claimed responsibility"
    nouns = "The claim that he left was false. Russia's claim that it won was not. The group's leader claimed victory."
    assert saying_shares([article(3, "N", nouns)], load_lexicon()) == []
    inside = 'He said: "We insist that nobody leaves." Then he left.'
    [quoted] = saying_shares([article(4, "Q", inside)], load_lexicon())
    assert (quoted.neutral, quoted.loaded) == (1, 0)  # "insist" is the speaker's word
    [german] = saying_shares(
        [article(2, "Z", "Er behauptete, dass alles gut sei.", language="de")], load_lexicon()
    )
    assert german.loaded_verbs == {"behauptete": 1}


def test_find_framing_puts_the_three_readings_together() -> None:
    found = find_framing(
        [
            article(1, "A", "Talks in Kyiv resumed.", cues=("said",)),
            article(2, "B", "Talks in Kiev resumed.", cues=("claimed",)),
        ]
    )
    assert found.outlets == ["A", "B"]
    assert [c.id for c in found.contested] == ["kyiv"]
    assert [s.outlet for s in found.saying] == ["B", "A"]


# --- balance and blindspots


def outlets(*specs: tuple[str, str]) -> list[OutletFacts]:
    return [OutletFacts(f"O{n}", country, ownership) for n, (country, ownership) in enumerate(specs)]


def test_a_story_covered_by_one_countrys_outlets_is_a_blindspot_when_the_desk_follows_others() -> None:
    story = outlets(("US", "private"), ("us", "private"), ("US", "public-service"), ("", "unknown"))
    desk = DeskSpread(frozenset({"US", "GB", "FR"}), frozenset({"private", "public-service"}))
    found = balance(story, desk)
    assert found.blindspot
    [spot] = found.blindspots
    assert (spot.kind, spot.value, spot.known, spot.outlets, spot.others) == ("country", "US", 3, 4, 2)
    assert found.by_country == [("US", 3), ("unknown", 1)]
    assert found.by_ownership == [("private", 2), ("public-service", 1), ("unknown", 1)]


def test_a_one_country_desk_has_no_blindspot_of_country() -> None:
    story = outlets(("US", "private"), ("US", "private"), ("US", "private"))
    found = balance(story, DeskSpread(frozenset({"US"}), frozenset({"private", "state-controlled"})))
    assert [b.kind for b in found.blindspots] == ["ownership"]
    assert found.one_country_desk and not found.one_ownership_desk


def test_too_few_known_outlets_is_no_blindspot() -> None:
    desk = DeskSpread(frozenset({"US", "GB"}), frozenset({"private", "non-profit"}))
    assert not balance(outlets(("US", "private"), ("US", "private")), desk).blindspot
    assert not balance(outlets(("US", "private"), ("US", "private"), ("", "unknown")), desk).blindspot
    assert not balance(outlets(("US", "private"), ("GB", "non-profit"), ("US", "private")), desk).blindspot


def test_without_a_desk_spread_the_storys_own_outlets_stand_for_it() -> None:
    found = balance(outlets(("US", "private"), ("US", "private"), ("US", "private")))
    assert not found.blindspot and found.one_country_desk
