"""Quotes, speakers, anonymous sources, reported speech and outlet attribution on invented sentences."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import SpacyEnricher, load_model
from newsdesk.pipeline.enrich.quotes import (
    AttributionEnricher,
    QuoteEnricher,
    find_attributions,
    find_quotes,
    quote_spans,
)


@pytest.fixture(scope="module")
def parse() -> Any:
    """Parse a text once with the shared spaCy model (loaded once for the module)."""
    load_model()

    def run(text: str, title: str = "", source: str | None = None) -> Document:
        doc = Document(title=title, text=text, source=source)
        SpacyEnricher().enrich([doc])
        return doc

    return run


def direct(doc: Document) -> list[dict[str, Any]]:
    return [q for q in find_quotes(doc) if q["direct"]]


def only(doc: Document) -> dict[str, Any]:
    found = direct(doc)
    assert len(found) == 1, found
    return found[0]


# --- quote marks


def test_it_finds_straight_and_curly_double_quotes() -> None:
    text = 'He said "we will win" and “they will lose” today.'
    assert [text[q.start : q.end] for q in quote_spans(text)] == ["we will win", "they will lose"]


def test_it_finds_single_quotes_but_not_apostrophes() -> None:
    text = "O'Brien said 'we don't need Putin's help in the '90s style' on Monday."
    spans = quote_spans(text)
    assert [text[q.start : q.end] for q in spans] == ["we don't need Putin's help in the '90s style"]


def test_it_reads_rock_n_roll_as_apostrophes() -> None:
    text = "He said: 'It was the '90s, the age of rock 'n' roll, and we were young.'"
    assert [q.text(text) for q in quote_spans(text)] == [
        "It was the '90s, the age of rock 'n' roll, and we were young."
    ]


def test_it_finds_curly_single_quotes_with_apostrophes_inside() -> None:
    text = "She said: ‘We won’t stop, and Russia’s plan will fail.’"
    assert [text[q.start : q.end] for q in quote_spans(text)] == [
        "We won’t stop, and Russia’s plan will fail."
    ]


def test_it_continues_a_quote_into_a_paragraph_that_reopens() -> None:
    text = (
        "Lena Fischer said: “The first part is long.\n“And the second part ends here.”\nAfter that, nothing."
    )
    spans = quote_spans(text)
    assert len(spans) == 1
    assert spans[0].text(text) == "The first part is long. And the second part ends here."


def test_it_drops_a_stray_mark_that_never_closes() -> None:
    assert quote_spans('The 12" record sold well.\nNothing else here.') == []


def test_it_reads_two_apostrophes_as_a_double_mark(parse: Any) -> None:
    quote = only(parse("Lena Fischer visited Bonn. ''We will build it again,'' she said."))
    assert quote["text"] == "We will build it again"
    assert quote["speaker"] == "Lena Fischer"


# --- speakers of direct quotes


def test_it_joins_a_quote_broken_by_a_cue(parse: Any) -> None:
    quote = only(parse("Maria Gonzalez spoke in Madrid. “We will,” she said, “win this fight.”"))
    assert quote["text"] == "We will win this fight."
    assert quote["speaker"] == "Maria Gonzalez"
    assert quote["cue"] == "said"


@pytest.mark.parametrize(
    "text",
    [
        '"The budget is balanced," said Peter Novak.',
        '"The budget is balanced," Peter Novak said.',
        'Peter Novak said: "The budget is balanced."',
        'Peter Novak told reporters: "The budget is balanced."',
        'Peter Novak wrote in a statement: "The budget is balanced."',
        '"The budget is balanced," Peter Novak added on Tuesday.',
        '"The budget is balanced," according to Peter Novak.',
        '"The budget is balanced," Peter Novak insisted.',
        '"Is the budget balanced?" Peter Novak asked.',
    ],
)
def test_it_finds_the_speaker_before_or_after(parse: Any, text: str) -> None:
    quote = only(parse(text))
    assert quote["speaker"] == "Peter Novak"
    assert quote["speaker_kind"] == "person"
    assert quote["anonymous"] is False


def test_it_resolves_a_pronoun_to_the_last_person_named(parse: Any) -> None:
    doc = parse(
        "Peter Novak met Anna Berg in Prague on Monday. Anna Berg left early.\n"
        "“The talks were useful and we will meet again,” she said."
    )
    quote = only(doc)
    assert quote["speaker"] == "Anna Berg"
    assert quote["speaker_span"] is not None
    assert doc.full_text[quote["speaker_span"][0] : quote["speaker_span"][1]] == "she"


def test_it_skips_people_named_inside_quotes_for_pronouns(parse: Any) -> None:
    doc = parse("Anna Berg spoke in Prague. “Peter Novak is wrong about the budget,” she said.")
    assert only(doc)["speaker"] == "Anna Berg"


def test_it_resolves_a_surname_to_the_full_name(parse: Any) -> None:
    doc = parse('Peter Novak arrived in Prague on Monday. "We have a deal on the budget," Novak said.')
    assert only(doc)["speaker"] == "Peter Novak"


def test_it_resolves_an_appositive_to_the_name_before_it(parse: Any) -> None:
    doc = parse('Peter Novak, the finance minister, told reporters: "The deal is done for this year."')
    quote = only(doc)
    assert quote["speaker"] == "Peter Novak"


def test_it_uses_canonical_names_from_the_entities_result(parse: Any) -> None:
    doc = parse('Vassily Nebenzia spoke at the UN. "The draft is unacceptable to us," Nebenzia said.')
    start = doc.full_text.index("Nebenzia said")
    doc.results["entities"] = [
        {
            "name": "Vassily Nebenzia",
            "kind": "person",
            "mentions": ["Vassily Nebenzia", "Nebenzia"],
            "count": 2,
            "spans": [[0, 16], [start, start + 8]],
        }
    ]
    quote = only(doc)
    assert quote["speaker"] == "Vassily Nebenzia"
    assert quote["speaker_span"] == [start, start + 8]


def test_it_resolves_the_minister_when_only_one_person_is_minister(parse: Any) -> None:
    doc = parse(
        "Foreign Minister Peter Novak met Anna Berg in Prague.\n"
        '"We will not sign this agreement," the minister said.'
    )
    assert only(doc)["speaker"] == "Peter Novak"


def test_it_resolves_the_ministry_to_a_named_organisation(parse: Any) -> None:
    doc = parse(
        "The Ministry of Defence published new figures on Monday.\n"
        '"The exercise will continue until Friday," the ministry said.'
    )
    quote = only(doc)
    assert quote["speaker"] == "Ministry of Defence"
    assert quote["speaker_kind"] == "organisation"


def test_it_carries_the_speaker_into_the_next_quote_paragraph(parse: Any) -> None:
    doc = parse(
        'Anna Berg said: "We expected a long night of counting."\n"The result is clear now and we accept it."'
    )
    quotes = direct(doc)
    assert [q["speaker"] for q in quotes] == ["Anna Berg", "Anna Berg"]


@pytest.mark.parametrize(
    "text",
    [
        '"We expected a long night," said Anna Berg. "The result is clear now."',
        "''We expected a long night,'' Ms. Berg said. ''The result is clear now.''",
        '"We expected a long night," said Anna Berg.\n"The result is clear now."',
    ],
)
def test_it_keeps_one_quote_across_a_cue_between_two_sentences(parse: Any, text: str) -> None:
    quote = only(parse("Anna Berg counted the votes.\n" + text))
    assert quote["text"] == "We expected a long night. The result is clear now."
    assert quote["speaker"] == "Anna Berg"


def test_it_keeps_two_quotes_apart_when_the_second_has_its_own_cue(parse: Any) -> None:
    doc = parse('"We expected a long night," said Anna Berg.\n"We did not," Peter Novak said.')
    assert [q["speaker"] for q in direct(doc)] == ["Anna Berg", "Peter Novak"]


# --- anonymous sources


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ('"The deal is off," said an unnamed EU official.', "an unnamed EU official"),
        ('"The deal is off," sources familiar with the matter said.', "sources familiar with the matter"),
        (
            '"The deal is off," said a senior official who spoke on condition of anonymity.',
            "a senior official who spoke on condition of anonymity",
        ),
        ('"The deal is off," the source said.', "the source"),
        ('"The deal is off," officials said.', "officials"),
        ('People briefed on the talks said: "The deal is off."', "People briefed on the talks"),
    ],
)
def test_it_flags_anonymous_sources_and_keeps_their_description(
    parse: Any, text: str, description: str
) -> None:
    quote = only(parse(text))
    assert quote["anonymous"] is True
    assert quote["speaker"] is None
    assert quote["speaker_description"] == description


# --- reported speech


@pytest.mark.parametrize(
    ("text", "speaker", "content"),
    [
        ("Peter Novak said that the talks had failed.", "Peter Novak", "the talks had failed"),
        ("Peter Novak said on Tuesday the talks had failed.", "Peter Novak", "the talks had failed"),
        ("According to Peter Novak, the talks had failed.", "Peter Novak", "the talks had failed"),
        ("The talks had failed, Peter Novak said.", "Peter Novak", "The talks had failed"),
    ],
)
def test_it_attributes_reported_speech(parse: Any, text: str, speaker: str, content: str) -> None:
    found = find_quotes(parse(text))
    assert len(found) == 1
    assert found[0]["direct"] is False
    assert found[0]["speaker"] == speaker
    assert found[0]["text"] == content


def test_it_flags_anonymous_reported_speech(parse: Any) -> None:
    (found,) = find_quotes(parse("The talks had failed, officials said."))
    assert found["anonymous"] is True
    assert found["speaker_description"] == "officials"


# --- no false quotes


def test_it_ignores_a_scare_quoted_word(parse: Any) -> None:
    doc = parse("The so-called 'reform' passed the senate, and critics said the 'plan' was late.")
    assert direct(doc) == []


def test_it_ignores_a_quoted_title_without_a_cue(parse: Any) -> None:
    assert direct(parse('She starred in "Gone With the Wind Again" last year.')) == []


def test_it_keeps_a_short_quote_with_a_cue(parse: Any) -> None:
    quote = only(parse('Anna Berg was asked about the vote. "Never," she said.'))
    assert quote["text"] == "Never"
    assert quote["speaker"] == "Anna Berg"


def test_it_finds_no_quotes_in_plain_text(parse: Any) -> None:
    assert find_quotes(parse("The river rose in the spring and the town's '90s bridge held.")) == []


def test_it_needs_the_nlp_step() -> None:
    with pytest.raises(ValueError, match="nlp"):
        find_quotes(Document(title="", text='"Yes," he said.'))


# --- outlets


@pytest.mark.parametrize(
    ("text", "outlet", "cue"),
    [
        ("The deal collapsed, according to Politico.", "Politico", "according to"),
        ("The NYT reported that the deal collapsed.", "The New York Times", "reported"),
        ("The deal collapsed, as first reported by Reuters.", "Reuters", "first reported by"),
        ("Anna Berg told the BBC that the deal collapsed.", "BBC News", "told"),
        ("In an interview with CNN, Anna Berg said the deal collapsed.", "CNN", "interview with"),
    ],
)
def test_it_links_outlet_attributions_to_the_registry(parse: Any, text: str, outlet: str, cue: str) -> None:
    (found,) = find_attributions(parse(text))
    assert found["outlet"] == outlet
    assert found["cue"] == cue
    assert found["domain"]


def test_it_keeps_an_unknown_outlet_that_reads_like_one(parse: Any) -> None:
    found = find_attributions(parse("The Daily Herald reported that the mayor resigned."))
    assert [a["outlet"] for a in found] == ["Daily Herald"]
    assert found[0]["domain"] is None


def test_it_skips_outlets_without_a_cue_and_the_article_own_outlet(parse: Any) -> None:
    assert find_attributions(parse("Reuters opened an office in Oslo.")) == []
    assert find_attributions(parse("The deal collapsed, Reuters reported.", source="reuters.com")) == []


def test_it_lists_each_outlet_once(parse: Any) -> None:
    doc = parse("According to Politico, the deal collapsed. Politico reported the vote was close.")
    assert [a["outlet"] for a in find_attributions(doc)] == ["Politico"]


# --- enrichers


def test_it_writes_results_under_the_enricher_names(parse: Any) -> None:
    doc = parse('"The deal is off," said Anna Berg, according to Politico.')
    QuoteEnricher().enrich([doc])
    AttributionEnricher().enrich([doc])
    assert doc.results["quotes"][0]["speaker"] == "Anna Berg"
    assert doc.results["attributions"][0]["outlet"] == "Politico"
    assert QuoteEnricher.requires == ("nlp", "entities")
    assert AttributionEnricher.requires == ("nlp",)


def test_it_gives_offsets_into_the_full_text_with_a_title(parse: Any) -> None:
    doc = parse('"The deal is off," said Anna Berg.', title="Talks end")
    quote = only(doc)
    assert doc.full_text[quote["start"] : quote["end"]] == "The deal is off,"


def test_it_names_nobody_for_a_phrase_that_cleans_to_nothing() -> None:
    from newsdesk.pipeline.enrich.quotes import _Entities

    entities = _Entities.__new__(_Entities)  # only the mentions matter here
    entities.mentions = []
    assert entities.full_name("") is None
    assert entities.full_name("   ") is None


# --- British and wire style, governments, descriptions


def test_it_credits_single_quoted_words_in_british_style(parse: Any) -> None:
    doc = parse(
        "Governor Anna Berg visited the coast on Monday.\n"
        "The governor said the launch site had been 'blocked,' and added that there was "
        "'no threat to the people living near it.'"
    )
    found = find_quotes(doc)
    quote = next(q for q in found if q["direct"])
    assert quote["text"] == "no threat to the people living near it."
    assert quote["speaker"] == "Anna Berg"
    (reported,) = [q for q in found if not q["direct"]]
    assert reported["text"] == "the launch site had been 'blocked,'"
    assert reported["speaker"] == "Anna Berg"


def test_it_finds_the_speaker_of_a_single_quote_after_writing(parse: Any) -> None:
    quote = only(
        parse("Peter Novak brushed off the allegations, writing: 'This is false and everyone knows it.'")
    )
    assert quote["speaker"] == "Peter Novak"


def test_it_reads_a_plural_possessive_as_no_quote_mark(parse: Any) -> None:
    quote = only(parse("The plan, the Joneses' lawyer said, was 'dead on arrival' and 'a waste of time'."))
    assert quote["speaker_description"] == "the Joneses' lawyer"


@pytest.mark.parametrize(
    ("capital", "government", "country"),
    [("Moscow", "Government of Russia", "RU"), ("Kiev", "Government of Ukraine", "UA")],
)
def test_it_reads_a_capital_as_its_government(
    parse: Any, capital: str, government: str, country: str
) -> None:
    quote = only(parse(f'"The draft is unacceptable to us," {capital} said on Friday.'))
    assert quote["speaker"] == government
    assert quote["speaker_kind"] == "government"
    assert quote["speaker_country"] == country
    assert quote["speaker_description"] == capital


def test_it_never_credits_a_place(parse: Any) -> None:
    quote = only(parse('"The plan is dead," Texas said on Friday.'))
    assert quote["speaker"] is None
    assert quote["speaker_kind"] is None


@pytest.mark.parametrize(
    "text",
    [
        "Russia's readiness said the talks were over.",
        "The agreement said the talks were over.",
    ],
)
def test_it_takes_no_abstract_noun_for_a_speaker(parse: Any, text: str) -> None:
    assert find_quotes(parse(text)) == []


def test_it_keeps_a_relative_clause_whole_in_a_description(parse: Any) -> None:
    quote = only(parse('"It is over," an unnamed EU official who asked not to be named said.'))
    assert quote["anonymous"] is True
    assert quote["speaker_description"] == "an unnamed EU official who asked not to be named"


def test_it_finds_reported_speech_with_the_cue_inside(parse: Any) -> None:
    (found,) = find_quotes(
        parse("Mr. Peter Novak met Anna Berg. The bigger risk, he said, is a clash at sea.")
    )
    assert found["direct"] is False
    assert found["speaker"] == "Peter Novak"
    assert found["text"] == "The bigger risk is a clash at sea"


def test_it_credits_a_pronoun_to_the_person_it_agrees_with(parse: Any) -> None:
    doc = parse(
        'Anna Berg spoke first, and she was brief. Peter Novak spoke next.\n"We will go on," she said.'
    )
    assert only(doc)["speaker"] == "Anna Berg"


def test_it_keeps_quoted_words_inside_a_reported_clause_with_it(parse: Any) -> None:
    doc = parse(
        'Peter Novak spoke.\nHe says the enemies are "laughing like hell at us" for even raising the question.'
    )
    (found,) = find_quotes(doc)
    assert found["direct"] is False
    assert found["speaker"] == "Peter Novak"
    assert found["text"] == 'the enemies are "laughing like hell at us" for even raising the question'


def test_it_keeps_a_quote_that_ends_a_reported_clause_direct(parse: Any) -> None:
    quote = only(parse('Peter Novak spoke.\nHe said the minister is "not smart enough to win."'))
    assert quote["text"] == "not smart enough to win."
    assert quote["speaker"] == "Peter Novak"


@pytest.mark.parametrize(
    "text",
    [
        '"A raid is a combat operation," Col. Peter Novak, a military spokesman in Baghdad, said.',
        'Peter Novak, 63, an independent voter raised in Chile, said: "A raid is a combat operation."',
    ],
)
def test_it_credits_the_person_a_description_with_a_place_follows(parse: Any, text: str) -> None:
    quote = only(parse(text))
    assert quote["speaker"] == "Peter Novak"
    assert quote["speaker_kind"] == "person"


def test_it_takes_no_dateline_for_a_speaker(parse: Any) -> None:
    found = find_quotes(
        parse('WASHINGTON (AP) — Donald Trump called on Wednesday for new talks, saying: "It is time."')
    )
    assert [q["speaker"] for q in found] == ["Donald Trump"]


def test_it_reads_according_to_inside_a_clause(parse: Any) -> None:
    (found,) = find_quotes(
        parse("At the heart of the trouble, according to Peter Novak, was a decision to leave.")
    )
    assert found["direct"] is False
    assert found["speaker"] == "Peter Novak"
    assert found["text"] == "At the heart of the trouble was a decision to leave"


# --- single quote marks (British and wire copy), speech acts, headline colons


@pytest.mark.parametrize(
    ("text", "quoted", "speaker"),
    [
        (  # curly single marks broken by an inverted cue between two sentences
            "‘We will not be moved on this,’ said Margaret Hollis, the council leader. ‘The depot stays open.’",
            "We will not be moved on this. The depot stays open.",
            "Margaret Hollis",
        ),
        (  # straight single marks, the speaker carried into the next paragraph
            "'The figures speak for themselves,' the minister, Helen Carr, told MPs.\n'We have halved the lists.'",
            "The figures speak for themselves. We have halved the lists.",
            "Helen Carr",
        ),
    ],
)
def test_it_keeps_the_speaker_of_single_quotes(parse: Any, text: str, quoted: str, speaker: str) -> None:
    quote = only(parse(text))
    assert (quote["text"], quote["speaker"]) == (quoted, speaker)


def test_it_credits_a_single_quote_after_told_and_a_colon(parse: Any) -> None:
    quote = only(parse("Ms Okafor told the BBC: ‘Nobody asked the families what they wanted.’"))
    assert quote["speaker"] in ("Okafor", "Ms Okafor")  # spaCy's entity, the entities step's is "Okafor"
    assert quote["speaker_description"] is None  # a title alone describes no one


def test_it_keeps_a_spokesman_for_each_single_quote(parse: Any) -> None:
    found = direct(
        parse(
            "Tom Reddy, a spokesman for the airport, said: 'Flights resume by noon.' He added: 'We apologise.'"
        )
    )
    assert [(q["text"], q["speaker"]) for q in found] == [
        ("Flights resume by noon.", "Tom Reddy"),
        ("We apologise.", "Tom Reddy"),
    ]


def test_it_keeps_single_quoted_words_in_reported_speech(parse: Any) -> None:
    found = find_quotes(
        parse(
            "The chief constable, Rupert Vane, said officers had been 'stretched' and warned that "
            "further cuts would be 'reckless'."
        )
    )
    assert [(q["direct"], q["text"], q["speaker"]) for q in found] == [
        (False, "officers had been 'stretched'", "Rupert Vane"),
        (False, "further cuts would be 'reckless'", "Rupert Vane"),
    ]


@pytest.mark.parametrize(
    ("text", "speaker", "content"),
    [
        (
            "Senator Dana Fields criticized the budget plan for cutting school meals.",
            "Dana Fields",
            "criticized the budget plan for cutting school meals",
        ),
        (
            "Mayor Ivan Petrov called for an inquiry into the fire.",
            "Ivan Petrov",
            "called for an inquiry into the fire",
        ),
    ],
)
def test_it_reports_a_speech_act_with_its_object(parse: Any, text: str, speaker: str, content: str) -> None:
    (found,) = find_quotes(parse(text))
    assert (found["direct"], found["speaker"], found["text"]) == (False, speaker, content)


def test_it_leaves_a_passive_speech_act_and_a_participle_out(parse: Any) -> None:
    assert find_quotes(parse("The budget plan was criticized by several teachers on Monday.")) == []
    assert find_quotes(parse("Criticizing the plan, the union walked out of the talks.")) == []


def test_it_reads_a_headline_colon_as_its_speaker_reporting(parse: Any) -> None:
    found = find_quotes(
        parse("Helen Carr: Waiting lists have halved since spring\nThe health secretary spoke in Leeds.")
    )
    assert [(q["direct"], q["speaker"], q["text"]) for q in found] == [
        (False, "Helen Carr", "Waiting lists have halved since spring")
    ]


def test_it_takes_no_label_or_time_before_a_colon_for_a_speaker(parse: Any) -> None:
    assert (
        find_quotes(parse("UPDATE: The bridge has reopened to traffic\n12:45 p.m.: Rain is expected later"))
        == []
    )


def test_it_credits_the_writer_with_their_own_reported_words(parse: Any) -> None:
    (found,) = find_quotes(parse("I told the committee that the figures were wrong."))
    assert (found["speaker"], found["speaker_description"]) == (None, "the author")
