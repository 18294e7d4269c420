"""The enrichment orchestrator: run the enrichers over a batch of articles and store what they found.

``enrich_articles`` is the one function the task runner, the CLI (``newsdesk reenrich``) and the
admin call. It is idempotent: enriching an article again replaces its earlier results.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleTag,
    Attribution,
    Enrichment,
    Entity,
    Quote,
    Source,
    Tag,
)
from newsdesk.news.signals import article_enriched
from newsdesk.pipeline.enrich.base import Document, Enricher, resolve_order, run_enrichers
from newsdesk.pipeline.outlets import find_outlet

log = logging.getLogger(__name__)

BATCH_SIZE = 32


@dataclass
class EnrichReport:
    articles: int = 0
    batches: int = 0


def configured_enrichers() -> list[Enricher]:
    """Instances of the enrichers the settings name, each after those it requires."""
    return [cls() for cls in resolve_order(settings.NEWSDESK["NEWSDESK_ENRICHERS"])]


def enricher_versions(enrichers: Sequence[Enricher]) -> dict[str, str]:
    return {e.name: e.version for e in enrichers}


def pending_articles(since: datetime | None = None, *, stale: bool = False) -> QuerySet[Article]:
    """Articles never enriched (or changed since); with ``stale``, also those enriched by older versions."""
    articles = Article.objects.all()
    if since is not None:
        articles = articles.filter(sort_at__gte=since)
    condition = Q(enriched_at__isnull=True)
    if stale:
        condition |= ~Q(pk__in=_ids_with_all_current(configured_enrichers()))
    return articles.filter(condition)


def _ids_with_all_current(enrichers: Sequence[Enricher]) -> QuerySet[Any]:
    versions = enricher_versions(enrichers)
    matching = Q()
    for name, version in versions.items():
        matching |= Q(name=name, version=version)
    return (
        Enrichment.objects.filter(matching)
        .values("article_id")
        .annotate(n=Count("id"))
        .filter(n=len(versions))
        .values("article_id")
    )


def enrich_articles(article_ids: Iterable[int] | None = None, *, limit: int | None = None) -> EnrichReport:
    """Enrich the given articles (default: every pending one), in batches; returns counts."""
    enrichers = configured_enrichers()
    if article_ids is None:
        ids = list(pending_articles().order_by("-sort_at").values_list("id", flat=True)[:limit])
    else:
        ids = list(article_ids)
    report = EnrichReport()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = list(Article.objects.select_related("source").filter(pk__in=ids[start : start + BATCH_SIZE]))
        if not batch:
            continue
        docs = [document_of(article) for article in batch]
        run_enrichers(docs, enrichers)
        for article, doc in zip(batch, docs, strict=True):
            store_results(article, doc, enrichers)
        place_in_stories(batch)
        report.articles += len(batch)
        report.batches += 1
    return report


def place_in_stories(batch: list[Article]) -> None:
    """Embed the batch, mark near-copies, and put each article in its story."""
    from newsdesk.news.storydesk import article_entity_names, story_desk

    story_desk().place(batch, article_entity_names([a.pk for a in batch]))


def document_of(article: Article) -> Document:

    return Document(
        id=article.pk,
        title=article.title,
        text=article.text or article.summary,
        language=article.language or None,
        source=article.source.name,
        published_at=article.published_at,
    )


def store_results(article: Article, doc: Document, enrichers: Sequence[Enricher]) -> None:
    """Replace an article's stored enrichment with this run's results, in one transaction."""
    results = doc.results
    with transaction.atomic():
        first_time = not Enrichment.objects.filter(article=article).exists()
        Enrichment.objects.filter(article=article).delete()
        Enrichment.objects.bulk_create(
            [
                Enrichment(
                    article=article, name=e.name, version=e.version, result=_jsonable(results.get(e.name))
                )
                for e in enrichers
            ]
        )
        entities = _store_entities(article, results.get("entities") or [], results.get("places") or [])
        _store_tags(article, results.get("hashtags") or [])
        _store_quotes(article, results.get("quotes") or [], entities)
        _store_attributions(article, results.get("attributions") or [])
        article.ai_summary = results.get("summary") or ""
        article.enriched_at = timezone.now()
        Article.objects.filter(pk=article.pk).update(
            ai_summary=article.ai_summary, enriched_at=article.enriched_at
        )
    article_enriched.send(sender=Article, article=article, created=first_time)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _store_entities(
    article: Article, found: list[dict[str, Any]], places: list[dict[str, Any]]
) -> dict[str, Entity]:
    """Upsert the article's entities by canonical key and kind; returns them by name."""
    from newsdesk.pipeline.enrich.entities import canonical_key

    geo = {p["name"]: p for p in places}
    ArticleEntity.objects.filter(article=article).delete()
    by_name: dict[str, Entity] = {}
    links = []
    for item in found:
        kind = item.get("kind") or "other"
        name = item["name"][:300]
        key = canonical_key(name, kind)[:300]
        entity, created = Entity.objects.get_or_create(key=key, kind=kind, defaults={"name": name})
        place = geo.get(item["name"])
        if place and entity.latitude is None:
            entity.latitude, entity.longitude = place.get("lat"), place.get("lon")
            entity.country = (place.get("country") or "")[:2]
            entity.save(update_fields=["latitude", "longitude", "country"])
        by_name[item["name"]] = entity
        links.append(ArticleEntity(article=article, entity=entity, mentions=int(item.get("count") or 1)))
    ArticleEntity.objects.bulk_create(links, ignore_conflicts=True)
    if by_name:
        ids = [e.pk for e in by_name.values()]
        counts = (
            ArticleEntity.objects.filter(entity=OuterRef("pk"))
            .values("entity")
            .annotate(n=Count("id"))
            .values("n")
        )
        Entity.objects.filter(pk__in=ids).update(article_count=Subquery(counts))
    return by_name


def _store_tags(article: Article, hashtags: list[str]) -> None:
    from newsdesk.pipeline.enrich.hashtags import slugify_tag

    ArticleTag.objects.filter(article=article).delete()
    links = []
    for rank, name in enumerate(hashtags):
        slug = slugify_tag(name)[:100]
        if not slug:
            continue
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name[:100]})
        links.append(ArticleTag(article=article, tag=tag, rank=rank))
    ArticleTag.objects.bulk_create(links, ignore_conflicts=True)


def _store_quotes(article: Article, quotes: list[dict[str, Any]], entities: dict[str, Entity]) -> None:
    Quote.objects.filter(article=article).delete()
    Quote.objects.bulk_create(
        [
            Quote(
                article=article,
                text=q["text"],
                speaker=entities.get(q.get("speaker") or ""),
                speaker_name=(q.get("speaker") or "")[:300],
                anonymous=bool(q.get("anonymous")),
                speaker_description=(q.get("speaker_description") or "")[:300],
                direct=bool(q.get("direct", True)),
                position=int(q.get("start") or 0),
            )
            for q in quotes
            if q.get("text")
        ]
    )


def _store_attributions(article: Article, attributions: list[dict[str, Any]]) -> None:
    Attribution.objects.filter(article=article).delete()
    sources: dict[int, str] = {}
    for item in attributions:
        fact = find_outlet(item.get("domain") or item.get("outlet") or "")
        if fact is None:
            continue
        source, _ = Source.objects.get_or_create(
            domain=fact.domain,
            defaults={
                "name": fact.name,
                "homepage": fact.homepage,
                "country": fact.country,
                "language": fact.language,
                "ownership": fact.ownership,
            },
        )
        if source.pk != article.source_id:
            sources.setdefault(source.pk, (item.get("cue") or "")[:300])
    Attribution.objects.bulk_create(
        [Attribution(article=article, source_id=pk, cue=cue) for pk, cue in sources.items()],
        ignore_conflicts=True,
    )
