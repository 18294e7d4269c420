"""Persisting pipeline results: sources by domain, articles deduplicated, versions kept.

Storing is an upsert that is safe under concurrency: two workers storing the same article at once
(two feeds of one outlet that share items) end with one row, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from newsdesk.desk import config
from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Feed, Source, make_excerpt
from newsdesk.pipeline import outlets
from newsdesk.pipeline.dedupe import content_hash
from newsdesk.pipeline.outlets import OutletFact
from newsdesk.pipeline.urls import canonicalize_url

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
    """The Source of the outlet at this URL: the registry's outlet, else one named after its key.

    Raises ValueError for a URL that is no web address.
    """
    key = outlets.outlet_key(canonicalize_url(url))
    fact = outlets.find_outlet(key)
    if fact is not None:
        return source_for_outlet(fact)
    scheme = urlsplit(canonicalize_url(url)).scheme
    return _source(key, {"name": fallback_name or key, "homepage": f"{scheme}://{key}/"})


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


def publishes(source: Source, url: str) -> bool:
    """Whether ``url`` is on the source's own site (its domain, a subdomain, a registry alias)."""
    return bool(source.domain) and outlets.publisher_key(url) == outlets.publisher_key(source.domain)


def _articles_at(urls: list[str]) -> dict[str, int]:
    """The article at each of these URLs that has one."""
    found: dict[str, int] = {}
    for start in range(0, len(urls), _CHUNK):
        chunk = urls[start : start + _CHUNK]
        found.update(ArticleURL.objects.filter(url__in=chunk).values_list("url", "article_id"))
    return found


def _first(at: dict[str, int], urls: list[str]) -> int | None:
    """The article at the first of these URLs that has one."""
    return next((at[u] for u in urls if u in at), None)


def _read(pk: int | None, *, lock: bool) -> Article | None:
    if pk is None:
        return None
    rows = Article.objects.select_for_update() if lock else Article.objects
    return rows.filter(pk=pk).first()


@dataclass(frozen=True)
class _Identity:
    """Where a draft may reach a stored article, split by how far the draft can be trusted there.

    ``own``: the draft's URL and the other URLs on the same publisher's site (or the source's):
    these find the article to update, and are remembered as its addresses. ``claimed``: URLs on
    another publisher's site that the page claims (a canonical link, ``og:url``, a redirect's end):
    they can only find an original that the draft is then a copy of, and are never remembered.
    """

    canonical: str
    own: list[str]
    claimed: list[str]
    digest: str

    @classmethod
    def of(cls, draft: ArticleDraft, source: Source) -> _Identity:
        canonical = canonicalize_url(draft.url)
        home = outlets.publisher_key(canonical)
        own, claimed = [canonical], []
        for url in _unique([canonicalize_url(u) for u in draft.other_urls if u]):
            if url == canonical:
                continue
            if outlets.publisher_key(url) == home or publishes(source, url):
                own.append(url)
            else:
                claimed.append(url)
        digest = _digest(draft)
        return cls(canonical=canonical, own=own, claimed=claimed, digest=digest)


def still_developing(developing: bool, last_update: datetime | None, *, now: datetime | None = None) -> bool:
    """Whether a developing marker still holds: it lapses once the article went unchanged for
    NEWSDESK_DEVELOPING_HOURS (an archive's "Live" page from last year is not developing now)."""
    if not developing or last_update is None:
        return developing
    hours = config.current().developing_hours
    return (now or timezone.now()) - last_update < timedelta(hours=hours)


def _digest(draft: ArticleDraft) -> str:
    """What the draft says, hashed: its title and text, else its title and summary (a feed's teaser)."""
    if draft.text:
        return content_hash(draft.title, draft.text)
    if draft.title and draft.summary:
        # Title and summary both: a feed may give many items one summary ("Read more on our site").
        return content_hash("", f"teaser: {draft.title}\n{draft.summary}")
    return ""


def store_article(
    draft: ArticleDraft,
    *,
    source: Source,
    feed: Feed | None = None,
    verified: bool = True,
    known: int | None = None,
) -> StoreResult:
    """Insert or update one article; an earlier title or text is kept as a version.

    Idempotent: storing the same draft twice changes nothing the second time. Race-free: when
    another worker inserts the same article between our look-up and our insert, the insert (in a
    savepoint) fails on the unique URL, and the article it stored is updated instead.

    An article belongs to the source that published it, and only that source updates it:

    - a draft from another source at one of the article's own URLs leaves it as it is (an
      aggregator's item that links to it, a feed that claims it), unless the article is at home on
      the draft source's site and not on its current source's (then it moves to its publisher);
    - a draft whose page claims another publisher's article as its canonical URL, or whose text
      equals another source's article, is stored as an article of its own, linked to that one as
      its copy (``duplicate_of``), and the claimed URL is not taken;
    - an unverified draft (``verified=False``: a saved page, a WARC record, a feed file, none of
      them fetched from the outlet now) adds articles and fills one stored without text, but never
      replaces the title or text of a stored article;
    - ``known`` is the article a feed stored this item as before (by its GUID in that feed): when no
      URL of the draft finds an article, the item's new link is that article's new address.
    """
    identity = _Identity.of(draft, source)
    draft = _prepared(draft)
    with transaction.atomic():
        at = _articles_at([*identity.own, *identity.claimed])  # one query for both kinds of URL
        article = _read(_first(at, identity.own), lock=True)
        if article is None and known is not None:
            article = _relinked(known, identity, source)
        if article is None:
            original = _original(identity, source, _first(at, identity.claimed))
            if original is not None and original.source_id == source.pk:
                article = original  # the same outlet's article, reached by its text or its other site
            else:
                article = _insert(draft, identity, source, feed, copy_of=original)
                if article is not None:
                    _remember_urls(article, identity.own, known=at)
                    return StoreResult(article=article, created=True, changed=True)
                # Another worker stored it first: its row is committed now (the unique key waited for it).
                article = _read(_first(_articles_at(identity.own), identity.own), lock=True) or _locked_at(
                    identity.canonical
                )
                if article is None:
                    raise RuntimeError(f"{identity.canonical} could be neither inserted nor found")
        if article.source_id != source.pk and not (verified and _moves_to(article, source)):
            log.info(
                "%s is an article of source %s; not updated from %s", article.url, article.source_id, source
            )
            return StoreResult(article=article, created=False, changed=False)
        if not verified and article.text and _rewrites(article, draft, identity.digest):
            log.info(
                "%s: an unverified copy (saved page, archive, feed file) does not replace its text",
                article.url,
            )
            return StoreResult(article=article, created=False, changed=False)
        changed = _update(article, draft, identity.digest, source)
        _remember_urls(article, identity.own)
    return StoreResult(article=article, created=False, changed=changed)


def _prepared(draft: ArticleDraft) -> ArticleDraft:
    """The draft as it is stored: a developing marker that lapsed is dropped."""
    return replace(
        draft, developing=still_developing(draft.developing, draft.updated_at or draft.published_at)
    )


def store_articles(
    drafts: Sequence[tuple[ArticleDraft, int | None]],
    *,
    source: Source,
    feed: Feed | None = None,
    verified: bool = True,
) -> list[StoreResult]:
    """Store many drafts of one source (a feed's items), each with its ``known`` article or None.

    The results are those of ``store_article`` on each draft in turn, in the drafts' order, at a
    few queries for the whole batch where they can be: a draft that reaches no stored article (none
    at any of its URLs, none with its text, no ``known``) and shares no URL and no text with another
    draft of the batch is new for certain, and all such are inserted together, in one transaction.
    When that insert meets an article stored meanwhile (another worker), it is undone and those
    drafts go the one-at-a-time way too, which settles each race as ``store_article`` does.
    """
    batch = [(_prepared(draft), known) for draft, known in drafts]
    identities = [_Identity.of(draft, source) for draft, _ in batch]
    results: list[StoreResult | None] = [None] * len(batch)
    fresh = _certainly_new(identities, [known for _, known in batch])
    if fresh:
        inserted = _insert_many([(batch[i][0], identities[i]) for i in fresh], source, feed)
        for i, article in zip(fresh, inserted or [], strict=False):
            results[i] = StoreResult(article=article, created=True, changed=True)
    for i, (draft, known) in enumerate(batch):
        if results[i] is None:
            results[i] = store_article(draft, source=source, feed=feed, verified=verified, known=known)
    return [result for result in results if result is not None]


def _certainly_new(identities: list[_Identity], knowns: list[int | None]) -> list[int]:
    """The positions of the drafts that nothing stored and no other draft of the batch can reach."""
    urls = Counter(url for identity in identities for url in {*identity.own, *identity.claimed})
    digests = Counter(identity.digest for identity in identities if identity.digest)
    taken = set(_articles_at(list(urls)))
    hashed = _stored_hashes(list(digests))
    return [
        i
        for i, identity in enumerate(identities)
        if knowns[i] is None
        and all(urls[url] == 1 and url not in taken for url in [*identity.own, *identity.claimed])
        and not (identity.digest and (digests[identity.digest] > 1 or identity.digest in hashed))
    ]


def _stored_hashes(digests: list[str]) -> set[str]:
    """Which of these content hashes a stored article has."""
    found: set[str] = set()
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start : start + _CHUNK]
        found.update(Article.objects.filter(content_hash__in=chunk).values_list("content_hash", flat=True))
    return found


def _insert_many(
    items: list[tuple[ArticleDraft, _Identity]], source: Source, feed: Feed | None
) -> list[Article] | None:
    """The new articles, inserted together with their URLs, in the items' order; None when one
    of them is taken or refused (nothing is then inserted) or the database cannot return the new
    rows' ids.

    Rows go in by URL order, so two workers inserting overlapping batches wait for each other
    instead of deadlocking.
    """
    if not connection.features.can_return_rows_from_bulk_insert:
        return None
    articles = [_derived(_new_article(draft, identity, source, feed, None)) for draft, identity in items]
    links = sorted(
        (
            (url, article)
            for article, (_, identity) in zip(articles, items, strict=True)
            for url in identity.own
        ),
        key=lambda link: link[0],
    )
    try:
        with transaction.atomic():
            Article.objects.bulk_create(sorted(articles, key=lambda a: a.url), batch_size=_CHUNK // 4)
            ArticleURL.objects.bulk_create(
                [ArticleURL(article=article, url=url) for url, article in links], batch_size=_CHUNK
            )
    except IntegrityError:
        log.info("a batch of new articles met articles stored meanwhile; storing them one by one")
        return None
    except DatabaseError as error:  # a value the database refuses: one by one, so only its draft fails
        log.warning("a batch of new articles could not be inserted (%s); storing them one by one", error)
        return None
    return articles


def _derived(article: Article) -> Article:
    """The fields ``Article.save`` derives, set for an insert that does not call it (a bulk insert)."""
    article.sort_at = article.published_at or article.fetched_at
    article.excerpt = make_excerpt(article.text or article.summary)
    return article


# Values per IN (...) query: well under SQLite's and PostgreSQL's limits on parameters.
_CHUNK = 500


def _relinked(known: int, identity: _Identity, source: Source) -> Article | None:
    """The known article of a feed item whose link changed, moved to the new link (its own source's)."""
    article = _read(known, lock=True)
    if article is None or article.source_id != source.pk:
        return None
    if not Article.objects.filter(url=identity.canonical).exists():
        log.info("%s moved to %s", article.url, identity.canonical)
        Article.objects.filter(pk=article.pk).update(url=identity.canonical)
        article.url = identity.canonical
    return article


def _original(identity: _Identity, source: Source, claimed: int | None) -> Article | None:
    """The stored article a new draft is the same as (its own source's) or a copy of (another's).

    Its own source's article with equal text first, then the article at a URL the draft claims,
    then the earliest other source's with equal text.
    """
    same = other = None
    if identity.digest:
        rows = (
            Article.objects.filter(content_hash=identity.digest).order_by("id").values_list("pk", "source_id")
        )
        for pk, source_id in rows[:_HASH_ROWS]:
            if source_id == source.pk:
                same = pk
                break
            other = other or pk
    return _read(same or claimed or other, lock=True)


# Articles with one text looked at to find the draft source's own among them (reprints are few).
_HASH_ROWS = 50


def _rewrites(article: Article, draft: ArticleDraft, digest: str) -> bool:
    """Whether the draft would replace the article's title or text."""
    return bool(draft.title[:1000] and draft.title[:1000] != article.title) or bool(
        draft.text and digest != article.content_hash
    )


def _moves_to(article: Article, source: Source) -> bool:
    """Whether an article stored under another source is at home on this source's site alone.

    An aggregator's feed may bring an outlet's article before the outlet's own feed does; when the
    outlet's feed brings it, the article becomes the outlet's.
    """
    current = Source.objects.filter(pk=article.source_id).first()
    return publishes(source, article.url) and (current is None or not publishes(current, article.url))


def _locked_at(canonical: str) -> Article | None:
    """The article whose own URL this is (one that lost its URL record to another article)."""
    return Article.objects.select_for_update().filter(url=canonical).first()


def _insert(
    draft: ArticleDraft, identity: _Identity, source: Source, feed: Feed | None, *, copy_of: Article | None
) -> Article | None:
    """The new article, or None when its URL is taken (in a savepoint: the transaction goes on)."""
    try:
        with transaction.atomic():
            return _create(draft, identity, source, feed, copy_of)
    except IntegrityError:
        return None


def _create(
    draft: ArticleDraft, identity: _Identity, source: Source, feed: Feed | None, copy_of: Article | None
) -> Article:
    article = _new_article(draft, identity, source, feed, copy_of)
    article.save(force_insert=True)
    return article


def _new_article(
    draft: ArticleDraft, identity: _Identity, source: Source, feed: Feed | None, copy_of: Article | None
) -> Article:
    """The unsaved article a draft makes."""
    canonical, digest = identity.canonical, identity.digest
    return Article(
        source=source,
        feed=feed,
        duplicate_of_id=(copy_of.duplicate_of_id or copy_of.pk) if copy_of is not None else None,
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
    "source_id",
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


def _update(article: Article, draft: ArticleDraft, digest: str, source: Source) -> bool:
    """Bring a stored article up to date (its source's own draft); True when its title or text changed.

    Writes only the fields that changed, and nothing when none did.
    """
    before = {name: getattr(article, name) for name in _STORED_FIELDS}
    article.source = source  # the same, or its publisher taking it over (see _moves_to)
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


def _remember_urls(article: Article, urls: list[str], *, known: dict[str, int] | None = None) -> None:
    """Link the URLs to the article; one another article holds already stays with it (no error).

    ``known``: the URLs already held, when the caller has just read them (a conflict is ignored anyway).
    """
    if known is None:
        known = _articles_at(urls)
    # In sorted order, so two writers inserting overlapping URLs lock them in one order (no deadlock).
    ArticleURL.objects.bulk_create(
        [ArticleURL(article=article, url=u) for u in sorted(urls) if u not in known], ignore_conflicts=True
    )


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
