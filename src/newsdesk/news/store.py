"""Persisting pipeline results: sources by domain, articles deduplicated, versions kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Feed, Source
from newsdesk.pipeline import outlets
from newsdesk.pipeline.dedupe import content_hash
from newsdesk.pipeline.urls import canonicalize_url, domain_of

log = logging.getLogger(__name__)


def source_for_url(url: str, *, fallback_name: str | None = None) -> Source:
    """The Source of the outlet at this URL's domain, created from the registry when new."""
    domain = domain_of(url)
    fact = outlets.find_outlet(domain)
    key = fact.domain if fact else domain
    source = Source.objects.filter(domain=key).first()
    if source is not None:
        return source
    if fact is not None:
        defaults = {
            "name": fact.name,
            "homepage": fact.homepage,
            "country": fact.country,
            "language": fact.language,
            "ownership": fact.ownership,
        }
    else:
        defaults = {"name": fallback_name or domain, "homepage": f"https://{domain}/"}
    try:
        with transaction.atomic():
            return Source.objects.create(domain=key, **defaults)
    except IntegrityError:  # another worker created it between our read and write
        return Source.objects.get(domain=key)


@dataclass
class ArticleDraft:
    """What we know of an article before it is stored, from a feed item and/or its page."""

    url: str
    title: str
    text: str
    html: str = ""
    summary: str = ""
    byline: str = ""
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str = ""
    lead_image: str = ""
    developing: bool = False
    guid: str = ""
    other_urls: tuple[str, ...] = ()


@dataclass
class StoreResult:
    article: Article
    created: bool
    changed: bool


def find_article(urls: list[str], digest: str | None) -> Article | None:
    """The stored article seen at any of these URLs, else one with the same content."""
    hit = ArticleURL.objects.filter(url__in=urls).select_related("article").first()
    if hit is not None:
        return hit.article
    if digest:
        return Article.objects.filter(content_hash=digest).order_by("id").first()
    return None


def store_article(draft: ArticleDraft, *, source: Source, feed: Feed | None = None) -> StoreResult:
    """Insert or update one article; an earlier title or text is kept as a version.

    Idempotent: storing the same draft twice changes nothing the second time.
    """
    canonical = canonicalize_url(draft.url)
    urls = _unique([canonical, *(canonicalize_url(u) for u in draft.other_urls if u)])
    digest = content_hash(draft.title, draft.text) if draft.text else ""
    with transaction.atomic():
        article = find_article(urls, digest)
        if article is None:
            article = _create(draft, canonical, digest, source, feed)
            created, changed = True, True
        else:
            changed = _update(article, draft, digest)
            created = False
        _remember_urls(article, urls)
    return StoreResult(article=article, created=created, changed=changed)


def _create(draft: ArticleDraft, canonical: str, digest: str, source: Source, feed: Feed | None) -> Article:
    return Article.objects.create(
        source=source,
        feed=feed,
        url=canonical,
        guid=draft.guid[:2000],
        title=draft.title[:1000] or canonical,
        byline=draft.byline[:500],
        published_at=draft.published_at,
        updated_at=draft.updated_at,
        language=draft.language[:8],
        text=draft.text,
        html=draft.html,
        summary=draft.summary,
        lead_image=draft.lead_image[:2000],
        content_hash=digest,
        developing=draft.developing,
    )


def _update(article: Article, draft: ArticleDraft, digest: str) -> bool:
    """Bring a stored article up to date; True when its title or text changed."""
    new_title = draft.title[:1000] or article.title
    new_text = draft.text or article.text
    content_changed = new_title != article.title or (bool(draft.text) and digest != article.content_hash)
    # A first full text replacing a summary-only record is no new version of the article.
    if content_changed and (article.text or new_title != article.title):
        ArticleVersion.objects.create(
            article=article,
            title=article.title,
            text=article.text,
            developing=article.developing,
            content_hash=article.content_hash,
            valid_from=article.updated_at or article.fetched_at,
        )
    if content_changed:
        article.title = new_title
        article.text = new_text
        article.html = draft.html or article.html
        article.content_hash = digest or article.content_hash
        article.updated_at = draft.updated_at or timezone.now()
        article.fetched_at = timezone.now()
        article.developing = draft.developing
        article.enriched_at = article.analysed_at = None  # the enrichers see the new text on their next pass
    elif draft.text:
        # Same content: a developing marker can only change with the text.
        article.developing = draft.developing
    for field in ("byline", "language", "lead_image", "summary"):
        value = getattr(draft, field)
        if value and not getattr(article, field):
            setattr(article, field, value)
    if draft.published_at and not article.published_at:
        article.published_at = draft.published_at
    article.save()
    return content_changed


def _remember_urls(article: Article, urls: list[str]) -> None:
    known = set(ArticleURL.objects.filter(url__in=urls).values_list("url", flat=True))
    ArticleURL.objects.bulk_create(
        [ArticleURL(article=article, url=u) for u in urls if u not in known], ignore_conflicts=True
    )


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
