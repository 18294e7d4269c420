"""The JSON shape of each object, shared by the API and the CLI's --json output."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newsdesk.news.changes import StoryChanges
from newsdesk.news.models import Article, Entity, EntityKind, Feed, Quote, Source, Story, Tag
from newsdesk.news.statements import ShownAppearance, ShownStatement, StoryStatements


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
        "story_id": article.story_id,
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
        "source_id": feed.source_id,
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


def tag_record(tag: Tag) -> dict[str, Any]:
    return {"id": tag.pk, "name": tag.name, "slug": tag.slug}


def entity_record(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.pk,
        "name": entity.name,
        "kind": entity.kind,
        "country": entity.country or None,
        "lat": entity.latitude,
        "lon": entity.longitude,
        "article_count": entity.article_count,
    }


def enriched_article_record(article: Article) -> dict[str, Any]:
    """The article with what the enrichers found; the caller prefetches (see api.views.ENRICHMENT)."""
    record = article_record(article)
    mentions = [
        {**entity_record(link.entity), "mentions": link.mentions} for link in article.article_entities.all()
    ]
    record.update(
        summary=article.ai_summary or None,
        story={"id": article.story.pk, "headline": article.story.headline} if article.story else None,
        duplicate_of=article.duplicate_of_id,
        hashtags=[{"name": link.tag.name, "slug": link.tag.slug} for link in article.article_tags.all()],
        entities=mentions,
        places=[m for m in mentions if m["kind"] == EntityKind.PLACE and m["lat"] is not None],
        quotes=[quote_record(quote) for quote in article.quotes.all()],
        attributions=[
            {"source": source_record(a.source), "cue": a.cue or None} for a in article.attributions.all()
        ],
    )
    return record


def quote_record(quote: Quote) -> dict[str, Any]:
    return {
        "text": quote.text,
        "speaker": quote.speaker_name or None,
        "speaker_id": quote.speaker_id,
        "anonymous": quote.anonymous,
        "speaker_description": quote.speaker_description or None,
        "direct": quote.direct,
        "article_id": quote.article_id,
    }


def story_changes_record(story: Story, changes: StoryChanges) -> dict[str, Any]:
    """What changed in a story since a moment (news/changes.py), as the API gives it."""
    return {
        "story": {"id": story.pk, "headline": story.headline},
        "since": iso(changes.since),
        "summary": changes.summary(),
        "new_articles": [
            {"id": a.id, "title": a.title, "source": a.source, "first_seen": iso(a.first_seen)}
            for a in changes.new_articles
        ],
        "new_outlets": [{"id": o.id, "name": o.name} for o in changes.new_outlets],
        "edits": [
            {
                "article_id": e.article_id,
                "source": e.source,
                "edited_at": iso(e.edited_at),
                "last_edited_at": iso(e.last_edited_at),
                "versions": e.versions,
                "headline_changed": e.headline_changed,
                "text_changed": e.text_changed,
                "old_title": e.old_title,
                "new_title": e.new_title,
                "diff": [{"op": p.op, "text": p.text} for p in e.diff],
            }
            for e in changes.edits
        ],
        "developing": [
            {
                "article_id": d.article_id,
                "title": d.title,
                "source": d.source,
                "change": "set" if d.developing else "cleared",
            }
            for d in changes.developing
        ],
        "story_developing": changes.story_developing_change,
        "statement_count": changes.statement_count,
        "statements": [
            {
                "article_id": s.article_id,
                "source": s.source,
                "speaker": s.speaker or None,
                "anonymous": s.anonymous,
                "text": s.text,
            }
            for s in changes.statements
        ],
        "new_speakers": changes.new_speakers,
        "new_places": [
            {"name": p.name, "lat": p.latitude, "lon": p.longitude, "country": p.country or None}
            for p in changes.new_places
        ],
    }


def appearance_record(appearance: ShownAppearance) -> dict[str, Any]:
    quote = appearance.quote
    return {
        "quote_id": quote.pk,
        "article_id": quote.article_id,
        "source": appearance.outlet,
        "published": iso(appearance.published),
        "kind": appearance.kind,
        "direct": quote.direct,
        "text": quote.text,
        "context": appearance.context,
        "difference": [
            {"op": op, "earliest": earliest, "these": these} for op, earliest, these in appearance.difference
        ],
    }


def statement_record(statement: ShownStatement) -> dict[str, Any]:
    """One statement (news/statements.py) with every outlet's appearance of it, earliest first."""
    appearances = [appearance_record(a) for a in statement.appearances]
    return {
        "speaker": statement.speaker,
        "speaker_id": statement.speaker_id,
        "anonymous": statement.anonymous,
        "text": statement.canonical.text,
        "outlets": statement.outlet_count,
        "misquoted": statement.misquoted,
        "first_reported": appearances[0],
        "appearances": appearances,
    }


def story_statements_record(story: Story, found: StoryStatements) -> dict[str, Any]:
    return {
        "story": {"id": story.pk, "headline": story.headline},
        "statements": [
            statement_record(s)
            for s in sorted(
                (s for group in found.speakers for s in group.statements),
                key=lambda s: (-s.outlet_count, s.first.published, s.canonical.pk),
            )
        ],
        "sources": [{"outlet": o.outlet, "named": o.named, "anonymous": o.anonymous} for o in found.sources],
        "more": found.more,
    }
