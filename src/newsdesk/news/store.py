"""Persisting pipeline results: sources by domain, articles deduplicated, versions kept.

Storing is an upsert that is safe under concurrency: two workers storing the same article at once
(two feeds of one outlet that share items) end with one row, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Feed, Source
from newsdesk.pipeline import outlets
from newsdesk.pipeline.dedupe import content_hash
from newsdesk.pipeline.outlets import OutletFact
from newsdesk.pipeline.urls import canonicalize_url, domain_of

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Sources: the one mapping from an outlet (the shipped registry) to its Source row


def new_source(fact: OutletFact) -> Source:
    """An unsaved Source for a registry outlet (what seeding and every look-up create)."""
    return Source(domain=fact.domain, **_outlet_fields(fact))


def source_for_outlet(fact: OutletFact) -> Source:
    """The Source of a registry outlet, created from the registry when new; an edited one is kept as is."""
    return _source(fact.domain, _outlet_fields(fact))


def source_for_url(url: str, *, fallback_name: str | None = None) -> Source:
    """The Source of the outlet at this URL's domain: the registry's outlet, else one named after the domain."""
    domain = domain_of(url)
    fact = outlets.find_outlet(domain)
    if fact is not None:
        return source_for_outlet(fact)
    return _source(domain, {"name": fallback_name or domain, "homepage": f"https://{domain}/"})


def _outlet_fields(fact: OutletFact) -> dict[str, Any]:
    return {
        "name": fact.name,
        "homepage": fact.homepage,
        "country": fact.country,
        "language": fact.language,
        "ownership": fact.ownership,
    }


def _source(domain: str, fields: dict[str, Any]) -> Source:
    source = Source.objects.filter(domain=domain).first()
    if source is not None:
        return source
    try:
        with transaction.atomic():
            return Source.objects.create(domain=domain, **fields)
    except IntegrityError:  # another worker created it between our read and write
        return Source.objects.get(domain=domain)


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


def find_article(urls: list[str], digest: str | None, *, lock: bool = False) -> Article | None:
    """The stored article seen at any of these URLs, else one with the same content.

    With ``lock`` (inside a transaction) the row is locked for update on PostgreSQL and read again,
    so two writers updating one article take turns and the second sees the first one's result.
    """
    hit = ArticleURL.objects.filter(url__in=urls).values_list("article_id", flat=True).first()
    if hit is None and digest:
        hit = Article.objects.filter(content_hash=digest).order_by("id").values_list("pk", flat=True).first()
    if hit is None:
        return None
    rows = Article.objects.select_for_update() if lock else Article.objects
    return rows.filter(pk=hit).first()


def store_article(draft: ArticleDraft, *, source: Source, feed: Feed | None = None) -> StoreResult:
    """Insert or update one article; an earlier title or text is kept as a version.

    Idempotent: storing the same draft twice changes nothing the second time. Race-free: when
    another worker inserts the same article between our look-up and our insert, the insert (in a
    savepoint) fails on the unique URL, and the article it stored is updated instead.

    Only the article's own source updates it: a draft from another source that reaches an article
    (by a URL its page claims, or by equal content) leaves that article as it is.
    """
    canonical = canonicalize_url(draft.url)
    urls = _unique([canonical, *(canonicalize_url(u) for u in draft.other_urls if u)])
    digest = content_hash(draft.title, draft.text) if draft.text else ""
    with transaction.atomic():
        article = find_article(urls, digest, lock=True)
        if article is None:
            article = _insert(draft, canonical, digest, source, feed)
            if article is not None:
                _remember_urls(article, urls)
                return StoreResult(article=article, created=True, changed=True)
            # Another worker stored it first: its row is committed now (the unique key waited for it).
            article = find_article(urls, digest, lock=True) or _locked_at(canonical)
            if article is None:
                raise RuntimeError(f"{canonical} could be neither inserted nor found")
        if article.source_id != source.pk:
            log.info(
                "%s is an article of source %s; not updated from %s", article.url, article.source_id, source
            )
            return StoreResult(article=article, created=False, changed=False)
        changed = _update(article, draft, digest)
        _remember_urls(article, urls)
    return StoreResult(article=article, created=False, changed=changed)


def _locked_at(canonical: str) -> Article | None:
    """The article whose own URL this is (one that lost its URL record to another article)."""
    return Article.objects.select_for_update().filter(url=canonical).first()


def _insert(
    draft: ArticleDraft, canonical: str, digest: str, source: Source, feed: Feed | None
) -> Article | None:
    """The new article, or None when its URL is taken (in a savepoint: the transaction goes on)."""
    try:
        with transaction.atomic():
            return _create(draft, canonical, digest, source, feed)
    except IntegrityError:
        return None


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


# What storing a draft may change on a stored article (the enrichment's fields are never written here).
_STORED_FIELDS = (
    "title",
    "text",
    "html",
    "content_hash",
    "updated_at",
    "fetched_at",
    "developing",
    "enriched_at",
    "analysed_at",
    "byline",
    "language",
    "lead_image",
    "summary",
    "published_at",
)


def _update(article: Article, draft: ArticleDraft, digest: str) -> bool:
    """Bring a stored article up to date; True when its title or text changed.

    Writes only the fields that changed, and nothing when none did.
    """
    before = {name: getattr(article, name) for name in _STORED_FIELDS}
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
    changed = [name for name in _STORED_FIELDS if getattr(article, name) != before[name]]
    if changed:
        article.save(update_fields=[*changed, "sort_at", "excerpt"])  # both derived in Article.save
    return content_changed


def _remember_urls(article: Article, urls: list[str]) -> None:
    """Link the URLs to the article; one another article holds already stays with it (no error)."""
    known = set(ArticleURL.objects.filter(url__in=urls).values_list("url", flat=True))
    # In sorted order, so two writers inserting overlapping URLs lock them in one order (no deadlock).
    ArticleURL.objects.bulk_create(
        [ArticleURL(article=article, url=u) for u in sorted(urls) if u not in known], ignore_conflicts=True
    )


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
