"""The JSON shape of each object, shared by the API and the CLI's --json output."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newsdesk.news.models import Article, Feed, Source, Story


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def source_record(source: Source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "domain": source.domain,
        "homepage": source.homepage,
        "country": source.country or None,
        "language": source.language or None,
        "ownership": source.ownership,
    }


def article_record(article: Article, *, with_text: bool = True) -> dict[str, Any]:
    """One article as the API gives it; the caller select_related("source")."""
    record: dict[str, Any] = {
        "id": article.pk,
        "url": article.url,
        "title": article.title,
        "source": source_record(article.source),
        "byline": article.byline or None,
        "published_at": iso(article.published_at),
        "updated_at": iso(article.updated_at),
        "fetched_at": iso(article.fetched_at),
        "language": article.language or None,
        "lead_image": article.lead_image or None,
        "excerpt": article.excerpt,
        "developing": article.developing,
    }
    if with_text:
        record["text"] = article.text
    return record


def feed_record(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.pk,
        "url": feed.url,
        "title": feed.title,
        "source": feed.source.name,
        "health": feed.health,
        "last_success_at": iso(feed.last_success_at),
        "next_fetch_at": iso(feed.next_fetch_at) if feed.is_active else None,
        "consecutive_errors": feed.consecutive_errors,
        "last_error": feed.last_error or None,
        "disabled_reason": feed.disabled_reason or None,
    }


def story_record(story: Story, *, articles: list[Article] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": story.pk,
        "headline": story.headline,
        "article_count": story.article_count,
        "source_count": story.source_count,
        "first_published_at": iso(story.first_published_at),
        "last_published_at": iso(story.last_published_at),
        "developing": story.developing,
    }
    if articles is not None:
        record["articles"] = [article_record(a, with_text=False) for a in articles]
    return record
