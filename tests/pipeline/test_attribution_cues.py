"""Which outlets an article cites, how (kind) and how much it leans on them (strength), on invented sentences."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import SpacyEnricher, load_model
from newsdesk.pipeline.enrich.quotes import attribution_kind, find_attributions


@pytest.fixture(scope="module")
def cited() -> Any:
    """The attributions of a text, parsed once with the shared spaCy model."""
    load_model()

    def run(text: str, title: str = "", source: str | None = None) -> list[dict[str, Any]]:
        doc = Document(title=title, text=text, source=source)
        SpacyEnricher().enrich([doc])
        return find_attributions(doc)

    return run


def outlets(found: list[dict[str, Any]]) -> list[str]:
    return [a["outlet"] for a in found]


@pytest.mark.parametrize(
    ("text", "outlet", "cue", "kind"),
    [
        (
            "Ministers are said to be uneasy about the budget, according to Politico.",
            "Politico",
            "according to",
            "report",
        ),
        ("The NYT reported on Monday that the budget was cut.", "The New York Times", "reported", "report"),
        ("Kommersant cited a ministry source as saying the budget was cut.", "Kommersant", "cited", "report"),
        ("Kommersant, citing a ministry source, said the budget was cut.", "Kommersant", "citing", "report"),
        (
            "Reuters reported, citing two people familiar with the plans, that the budget was cut.",
            "Reuters",
            "reported",
            "report",
        ),
        (
            "The budget was cut, the agency said, citing a report in the Wall Street Journal.",
            "The Wall Street Journal",
            "citing a report in",
            "report",
        ),
        ("Citing Le Monde, the agency said the budget was cut.", "Le Monde", "citing", "report"),
        (
            "Quoting the Financial Times, the agency said the budget was cut.",
            "Financial Times",
            "quoting",
            "report",
        ),
        ("The budget was cut, reports Politico.", "Politico", "reports", "report"),
        ("The budget was cut, per Axios.", "Axios", "per", "report"),
        (
            "Politico's Brussels correspondent reported that the budget was cut.",
            "Politico",
            "reported",
            "report",
        ),
        ("The budget was cut, according to a Bloomberg report.", "Bloomberg", "report", "report"),
        ("The budget, as first reported by Axios, was cut.", "Axios", "first reported by", "credit"),
        ("The Guardian first reported the cut on Monday.", "The Guardian", "first reported", "credit"),
        ("LONDON (Reuters) - The budget was cut on Monday.", "Reuters", "(reuters)", "wire"),
        ("Anna Berg told the BBC that the budget was cut.", "BBC News", "told", "interview"),
        (
            "In an interview with CNN, Anna Berg said the budget was cut.",
            "CNN",
            "interview with",
            "interview",
        ),
        (
            "In comments to Reuters, Anna Berg said the budget was cut.",
            "Reuters",
            "in comments to",
            "interview",
        ),
    ],
)
def test_cues_name_the_cited_outlet_and_the_kind(
    cited: Any, text: str, outlet: str, cue: str, kind: str
) -> None:
    (found,) = cited(text)
    assert (found["outlet"], found["cue"].casefold(), found["kind"]) == (outlet, cue, kind)
    assert found["domain"]


def test_outlets_named_by_short_form_or_domain(cited: Any) -> None:
    assert outlets(cited("The budget was cut, WaPo reported.")) == ["The Washington Post"]
    assert outlets(cited("The budget was cut, according to a report on nytimes.com.")) == [
        "The New York Times"
    ]
    assert outlets(cited("The budget was cut, the Times of London reported.")) == ["The Times"]
    # "the Journal" is the Wall Street Journal once the article has named it in full
    text = "The Wall Street Journal reported the plan in May. The budget was cut, the Journal said on Friday."
    [found] = cited(text)
    assert found["outlet"] == "The Wall Street Journal" and found["mentions"] == 2
    # alone it stays as written: no guess among the registry's journals
    assert [(a["outlet"], a["domain"]) for a in cited("The budget was cut, the Journal reported.")] == [
        ("Journal", None)
    ]


def test_a_cue_reaches_every_outlet_of_a_coordination(cited: Any) -> None:
    assert outlets(cited("The budget was cut, Reuters and the AP reported.")) == [
        "Reuters",
        "Associated Press",
    ]
    assert outlets(cited("The budget was cut, according to Reuters and Bloomberg.")) == [
        "Reuters",
        "Bloomberg",
    ]


def test_unknown_outlets_that_read_like_outlets_are_kept_by_name(cited: Any) -> None:
    [found] = cited("According to the Morning Post, the mayor resigned.")
    assert (found["outlet"], found["domain"], found["kind"]) == ("Morning Post", None, "report")


@pytest.mark.parametrize(
    "text",
    [
        "Politico's offices in Brussels were evacuated on Monday.",
        "Politico is owned by a German publisher.",
        "Reuters laid off 200 staff, the company said.",
        "The BBC was criticised by MPs over its coverage of the budget.",
        "Journalists from CNN were detained at the border.",
        "The New York Times sued the software maker over copyright.",
        "The BBC said it would appeal the ruling.",
        "Fox News said in a statement that the lawsuit had been settled.",
        "The minister told reporters the budget was cut.",
        "Some outlets (CNN among them) ignored the budget.",
    ],
)
def test_an_outlet_in_the_news_is_no_citation(cited: Any, text: str) -> None:
    assert cited(text) == []


def test_an_outlet_reporting_what_it_found_is_a_citation(cited: Any) -> None:
    assert outlets(cited("CNN said it had obtained a draft of the budget.")) == ["CNN"]


def test_told_an_outlet_is_an_interview_of_it_unless_it_is_the_article_own(cited: Any) -> None:
    [found] = cited("Anna Berg told Reuters the budget was cut.")
    assert found["kind"] == "interview"
    assert cited("Anna Berg told Reuters the budget was cut.", source="reuters.com") == []
    # an outlet the registry does not know is told apart from the article's own by name
    assert cited("The Morning Post reported that the mayor resigned.", source="The Morning Post") == []


def test_strength_says_whether_the_article_rests_on_the_citation(cited: Any) -> None:
    filler = " ".join(f"The council met for the {n}th time and talked about the harbour." for n in range(12))
    [lead] = cited(f"The budget was cut, according to Politico. {filler}")
    assert lead["strength"] == "rests"
    [passing] = cited(
        f"The budget was cut, the council said. {filler} Politico reported a similar cut last year."
    )
    assert passing["strength"] == "mentions" and passing["mentions"] == 1
    [twice] = cited(f"The budget was cut. {filler} Politico reported it. Politico also reported the vote.")
    assert twice["strength"] == "rests" and twice["mentions"] == 2
    [credited] = cited(f"The budget was cut. {filler} The cut was first reported by Axios.")
    assert credited["strength"] == "rests" and credited["kind"] == "credit"
    [headline] = cited(filler, title="Budget cut, Politico reports")
    assert headline["strength"] == "rests"


def test_strongest_kind_wins_across_mentions(cited: Any) -> None:
    [found] = cited("Anna Berg told the BBC the budget was cut. The BBC first reported the cut on Sunday.")
    assert (found["kind"], found["cue"]) == ("credit", "first reported")


def test_attribution_kind_of_stored_cues() -> None:
    assert attribution_kind("according to") == "report"
    assert attribution_kind("first reported by") == "credit"
    assert attribution_kind("(Reuters)") == "wire"
    assert attribution_kind("Told") == "interview"
    assert attribution_kind("") == "report"


def test_the_article_own_outlet_by_short_form_or_host(cited: Any) -> None:
    assert cited("Sources told the Post that the budget was cut.", source="washingtonpost.com") == []
    assert cited("Sources told the Post that the budget was cut.", source="The Evening Post") == []
    # an outlet the registry does not know, told apart by its host's name
    assert (
        cited(
            "Anna Berg told the Daily Ledger in May that the budget was cut.",
            source="www.citydailyledger.example",
        )
        == []
    )
    assert outlets(cited("Anna Berg told the Daily Ledger in May.", source="www.otherpaper.example")) == [
        "Daily Ledger"
    ]


def test_a_person_named_like_an_outlet_is_no_outlet(cited: Any) -> None:
    assert cited("But Mr Fox said he was pleased with the turnout.") == []
    assert cited("Colin Fox said he was pleased with the turnout.") == []
    assert outlets(cited("The budget was cut, Fox reported.")) == ["Fox News"]


def test_own_address_and_short_forms_of_an_outlet_named_in_full(cited: Any) -> None:
    assert cited("He told CityLedger.example in a phone interview.", source="www.cityledger.example") == []
    # "the Times" after the New York Times is the New York Times, not the registry's The Times
    text = "The New York Times changed hands in 1963. It was influential, the Times said."
    assert outlets(cited(text)) == ["The New York Times"]
    assert outlets(cited("The budget was cut, the Times reported.")) == ["The Times"]


def test_a_government_agency_is_no_news_agency(cited: Any) -> None:
    assert cited("The state-run Internet Security Agency said most sites were unsafe.") == []
    assert outlets(cited("The vote was held, the official Petra news agency said.")) == ["Petra news agency"]


def test_a_longer_name_around_a_registry_name_is_not_that_outlet(cited: Any) -> None:
    # the registry knows The Times, not a Washington paper of that name: kept as written, never guessed
    assert outlets(cited("A Washington Times poll from May had him at two percent.")) == ["Washington Times"]
    assert outlets(cited("Meanwhile Reuters reported the plan was dropped.")) == ["Reuters"]


def test_a_person_of_an_outlet_speaks_for_themselves(cited: Any) -> None:
    assert cited("Meteorologist Joel Gratz of SnowDesk.example said the reasons are complex.") == []
    assert outlets(cited("Thomas Friedman of the New York Times writes that no one can know.")) == [
        "The New York Times"
    ]


def test_a_registry_outlet_at_a_host_the_registry_does_not_list_is_the_article_own(cited: Any) -> None:
    assert (
        cited("SEOUL, Dec. 12 (Yonhap) -- North Korea fired a rocket.", source="english.yonhapnews.co.kr")
        == []
    )
    assert outlets(cited("SEOUL, Dec. 12 (Yonhap) -- North Korea fired a rocket.")) == ["Yonhap"]
