"""Related articles: embedding similarity blended with shared entities and recency, near-copies left out."""

from __future__ import annotations

import math

import numpy as np
from django.db.models import Count, QuerySet

from newsdesk.news.models import Article, ArticleEntity, ArticleVector
from newsdesk.news.vectors import embedder_name, vector_index

CANDIDATES = 40
SIMILARITY_WEIGHT, ENTITY_WEIGHT, RECENCY_WEIGHT = 0.7, 0.2, 0.1
# Shared entities count up to this many; beyond it an article is no more related.
ENTITY_SATURATION = 3
RECENCY_DAYS = 3.0
# Above this cosine two texts are the same report (a copy the dedupe missed), not further reading.
SAME_REPORT = 0.95


def related_articles(article: Article, limit: int) -> list[Article]:
    """Articles to read next, best first; until the article is embedded, the latest from its outlet."""
    matches = _nearest(article)
    if not matches:
        return list(_latest_from_outlet(article)[:limit])
    candidates = {
        a.pk: a
        for a in Article.objects.listing().filter(pk__in=[pk for pk, _ in matches]).exclude(pk=article.pk)
    }
    shared = _shared_entities(article, list(candidates))
    scored = []
    for pk, similarity in matches:
        other = candidates.get(pk)
        if other is None or _is_copy(article, other, similarity):
            continue
        days = abs((article.sort_at - other.sort_at).total_seconds()) / 86400
        score = (
            SIMILARITY_WEIGHT * similarity
            + ENTITY_WEIGHT * min(shared.get(pk, 0), ENTITY_SATURATION) / ENTITY_SATURATION
            + RECENCY_WEIGHT * math.exp(-days / RECENCY_DAYS)
        )
        scored.append((score, other))
    scored.sort(key=lambda pair: -pair[0])
    return [other for _, other in scored[:limit]]


def _nearest(article: Article) -> list[tuple[int, float]]:
    """(id, cosine) of the nearest articles in the vector index."""
    stored = ArticleVector.objects.filter(article=article, embedder=embedder_name()).values_list(
        "vector", flat=True
    )
    vector = next(iter(stored), None)
    if vector is None:
        return []
    return vector_index().search(np.frombuffer(vector, dtype=np.float32), k=CANDIDATES, exclude=[article.pk])


def _shared_entities(article: Article, candidate_ids: list[int]) -> dict[int, int]:
    mine = ArticleEntity.objects.filter(article=article).values("entity_id")
    rows = (
        ArticleEntity.objects.filter(article_id__in=candidate_ids, entity_id__in=mine)
        .values("article_id")
        .annotate(n=Count("id"))
    )
    return {row["article_id"]: row["n"] for row in rows}


def _is_copy(article: Article, other: Article, similarity: float) -> bool:
    return (
        other.duplicate_of_id == article.pk
        or article.duplicate_of_id == other.pk
        or (other.duplicate_of_id is not None and other.duplicate_of_id == article.duplicate_of_id)
        or (bool(article.content_hash) and other.content_hash == article.content_hash)
        or similarity >= SAME_REPORT
    )


def _latest_from_outlet(article: Article) -> QuerySet[Article]:
    return Article.objects.listing().filter(source_id=article.source_id).exclude(pk=article.pk)
