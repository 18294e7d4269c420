"""The orchestrators: one function per job, used by the CLI, the scheduler, the admin and workers.

``refresh_feed`` fetches a feed, parses it, fetches and extracts the pages of items that
carry only a summary, and stores the articles; ``ingest_page`` does the same for one page.
Each is idempotent: running it twice stores nothing twice. A refresh holds a claim on its feed
(a lease in the database) while it works, so one feed is never refreshed twice at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import lxml.html
from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from lxml import etree

from newsdesk.desk import config
from newsdesk.news.models import ArticleURL, Feed, FeedEntry, Source
from newsdesk.news.store import ArticleDraft, StoreResult, source_for_url, store_article, store_articles
from newsdesk.pipeline import developing as developing_markers
from newsdesk.pipeline.boilerplate import SharedLines, clean_text
from newsdesk.pipeline.errors import BlockedAddressError, FeedError, FetchError, PipelineError
from newsdesk.pipeline.extract import Extracted, decode_html, extract
from newsdesk.pipeline.feeds import FeedItem, ParsedFeed, discover_feeds, looks_like_html, parse_feed
from newsdesk.pipeline.fetch import Fetcher, FetchPolicy
from newsdesk.pipeline.outlets import publisher_key
from newsdesk.pipeline.sanitize import sanitize_html
from newsdesk.pipeline.selectors import select_body, validate_selector
from newsdesk.pipeline.text import html_to_text
from newsdesk.pipeline.urls import canonicalize_url
from newsdesk.runtime import leases

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"
)
# A feed item whose own content is shorter than this is a teaser: the page has the article.
FULL_TEXT_MIN_CHARS = 600
# How long a claimed feed stays reserved for the worker that claimed it.
CLAIM_LEASE = timedelta(minutes=15)
# A refresh at work renews its claim this often (between items), so one that outlives CLAIM_LEASE keeps it.
CLAIM_RENEWAL = timedelta(minutes=1)

_fetcher: Fetcher | None = None
_fetcher_lock = threading.Lock()


def get_fetcher() -> Fetcher:
    """The process-wide fetcher, so per-host limits hold across threads."""
    global _fetcher
    with _fetcher_lock:
        if _fetcher is None:
            _fetcher = Fetcher(fetch_policy())
        return _fetcher


def reset_fetcher() -> None:
    """Forget the shared fetcher (after settings change, in tests)."""
    global _fetcher
    with _fetcher_lock:
        if _fetcher is not None:
            _fetcher.close()
        _fetcher = None


def fetch_policy() -> FetchPolicy:
    return config.fetch_policy(settings.NEWSDESK)


@dataclass
class RefreshReport:
    """What one refresh of one feed did."""

    feed_id: int
    url: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    skipped: bool = False  # another refresh of this feed was at work: this one did nothing
    error: str = ""
    disabled: bool = False
    warnings: list[str] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)  # new or changed articles, for enrichment
    pages_fetched: int = 0  # article pages fetched for teaser items
    pages_deferred: int = 0  # teaser items kept with the feed's text, their pages left for later

    @property
    def ok(self) -> bool:
        return not self.error


# ---------------------------------------------------------------------------------------------
# Feeds


def subscribe(url: str, *, fetcher: Fetcher | None = None) -> Feed:
    """Follow the feed at URL, or the first feed an HTML page at URL announces (fetched now to find it).

    Raises PipelineError when URL gives neither a feed nor a page with one.
    """
    fetcher = fetcher or get_fetcher()
    url = canonicalize_url(url)
    existing = Feed.objects.filter(url=url).first()
    if existing is not None:
        return existing
    result = fetcher.fetch(url, accept=FEED_ACCEPT)
    if looks_like_html(result.content):
        candidates = discover_feeds(result.content, result.url)
        if not candidates:
            raise FeedError(f"{url} is a web page that announces no feed", permanent=True)
        feed_url = canonicalize_url(candidates[0])
        existing = Feed.objects.filter(url=feed_url).first()
        if existing is not None:
            return existing
        result = fetcher.fetch(feed_url, accept=FEED_ACCEPT)
    parsed = parse_feed(result.content, result.url, content_type=result.content_type, charset=result.charset)
    return add_feed_url(result.url, title=parsed.title, site=parsed.link or None)


def add_feed_url(url: str, *, title: str = "", source: Source | None = None, site: str | None = None) -> Feed:
    """Follow a feed URL without fetching it (OPML import, default feeds; ``subscribe`` after its fetch).

    Its outlet is ``source`` when given, else the one at ``site`` (the website the feed names),
    else the one at the feed's own address. A feed already followed is returned as it is.
    """
    url = canonicalize_url(url)
    existing = Feed.objects.filter(url=url).first()
    if existing is not None:
        return existing
    if source is None:
        source = source_for_url(_claimed_site(url, site), fallback_name=title or None)
    feed, _ = Feed.objects.get_or_create(url=url, defaults={"source": source, "title": title[:500]})
    return feed


def _claimed_site(url: str, site: str | None) -> str:
    """The website a feed names as its own, when that is its publisher's; else the feed's own address.

    A feed at one site that names another's (``<link>`` of someone else's homepage) would otherwise
    make its items that outlet's articles, able to rewrite the ones the outlet published.
    """
    if not site:
        return url
    try:
        same = publisher_key(canonicalize_url(site)) == publisher_key(url)
    except ValueError:  # the site named is no web address
        return url
    if not same:
        log.info(
            "feed %s names %s as its site, another publisher's: its own address names its outlet", url, site
        )
    return site if same else url


def claim_due_feeds(limit: int = 100, *, now: datetime | None = None) -> list[Feed]:
    """Reserve the feeds due for a refresh; a conditional UPDATE makes each claim atomic.

    Two schedulers running at once never claim the same feed.
    """
    now = now or timezone.now()
    due = list(
        Feed.objects.filter(disabled_reason="", next_fetch_at__lte=now)
        .order_by("next_fetch_at")
        .values_list("id", "next_fetch_at")[:limit]
    )
    claimed_ids = [feed_id for feed_id, next_at in due if claim_feed(feed_id, next_at, now=now)]
    return list(Feed.objects.filter(id__in=claimed_ids).select_related("source"))


def claim_feed(feed_id: int, seen_next_fetch_at: datetime, *, now: datetime | None = None) -> bool:
    """Reserve one feed for a refresh, unless someone changed its schedule since it was read."""
    now = now or timezone.now()
    return bool(
        Feed.objects.filter(id=feed_id, next_fetch_at=seen_next_fetch_at).update(
            next_fetch_at=now + CLAIM_LEASE
        )
    )


class ClaimLost(Exception):
    """Another refresh took the feed over (this one stalled past its claim): stop, record nothing."""


class RefreshClaim:
    """One refresh's hold on its feed: a lease named after the feed, under a token of this refresh alone.

    Taken before the refresh starts, so a second refresh of the same feed (a task delivered twice, an
    admin's click during a scheduled refresh, another process) does nothing while the first is at
    work; renewed between items, with the feed's ``next_fetch_at`` pushed on too, so a refresh that
    outlives ``CLAIM_LEASE`` keeps its feed and no scheduler claims it meanwhile. A refresh that dies
    stops renewing: its claim expires and the feed is due again.
    """

    def __init__(self, feed_id: int) -> None:
        self.feed_id = feed_id
        self.name = f"refresh-feed:{feed_id}"
        self.holder = f"{leases.holder_id()}:{uuid.uuid4().hex[:8]}"
        self._renewed_at = 0.0

    def take(self) -> bool:
        """Whether the claim is ours now (False: another refresh of this feed holds it)."""
        if leases.acquire(self.name, CLAIM_LEASE.total_seconds(), self.holder) is None:
            return False
        self._push()
        return True

    def keep(self) -> None:
        """Renew the claim when CLAIM_RENEWAL has passed; raises ClaimLost when another refresh took it."""
        if time.monotonic() - self._renewed_at < CLAIM_RENEWAL.total_seconds():
            return
        if leases.acquire(self.name, CLAIM_LEASE.total_seconds(), self.holder) is None:
            raise ClaimLost(f"feed {self.feed_id}: another refresh took the feed over; this one stopped")
        self._push()

    def release(self) -> None:
        leases.release(self.name, self.holder)

    def _push(self) -> None:
        self._renewed_at = time.monotonic()
        Feed.objects.filter(pk=self.feed_id).update(next_fetch_at=timezone.now() + CLAIM_LEASE)


def refresh_feed(feed_id: int, *, fetcher: Fetcher | None = None, fetch_pages: bool = True) -> RefreshReport:
    """Fetch one feed, store its new and changed articles, and schedule its next refresh.

    Never raises for a bad feed, nor for an unexpected failure: the error is recorded on the feed
    (shown in /feeds/) and in the report. Runs at most once at a time per feed: while another
    refresh of the feed is at work, returns at once with ``skipped`` set.
    """
    url = Feed.objects.filter(pk=feed_id).values_list("url", flat=True).first()
    report = RefreshReport(feed_id=feed_id, url=url or "")
    if url is None:
        report.error = f"there is no feed {feed_id}"
        return report
    claim = RefreshClaim(feed_id)
    if not claim.take():
        report.skipped = True
        report.warnings.append("another refresh of this feed is at work; this one did nothing")
        log.info("feed %s is being refreshed elsewhere; skipped", feed_id)
        return report
    try:
        _refresh(feed_id, fetcher or get_fetcher(), fetch_pages, claim, report)
    except ClaimLost as lost:
        report.error = str(lost)
        log.warning("%s", lost)
    except Exception as error:
        log.exception("refreshing feed %s failed unexpectedly", feed_id)
        _record_unexpected(feed_id, error, report)
    finally:
        claim.release()
    return report


def _refresh(
    feed_id: int, fetcher: Fetcher, fetch_pages: bool, claim: RefreshClaim, report: RefreshReport
) -> None:
    feed = Feed.objects.select_related("source").get(pk=feed_id)
    now = timezone.now()
    try:
        result = fetcher.fetch(
            feed.url,
            etag=feed.etag or None,
            last_modified=feed.last_modified or None,
            accept=FEED_ACCEPT,
            user_agent=feed.user_agent.strip() or None,
        )
        body_hash = hashlib.sha256(result.content).hexdigest() if not result.not_modified else ""
        if result.not_modified or (body_hash == feed.body_hash and not _waiting_for_pages(feed)):
            # A 304, or the very body read in full last time: nothing in it can be new.
            report.not_modified = True
            feed.etag, feed.last_modified = (
                result.etag or feed.etag,
                result.last_modified or feed.last_modified,
            )
            _record_success(feed, now, interval=feed.fetch_interval)
            return
        parsed = _parse_or_explain(result.content, result.url, result.content_type, result.charset)
    except PipelineError as error:
        retry_after = error.retry_after if isinstance(error, FetchError) else None
        _record_failure(feed, now, error, retry_after)
        report.error, report.disabled = str(error), bool(feed.disabled_reason)
        return
    report.warnings = parsed.warnings
    if parsed.title and not feed.title:
        feed.title = parsed.title[:500]
    feed.etag, feed.last_modified = result.etag or "", result.last_modified or ""
    ingest_items(
        parsed.items,
        source=feed.source,
        feed=feed,
        fetcher=fetcher,
        fetch_pages=fetch_pages,
        report=report,
        keep=claim.keep,
        page_budget=settings.NEWSDESK.max_pages_per_refresh,
        language=parsed.language or "",
    )
    interval = adapted_interval(parsed.items)
    # The body is remembered only when nothing in it waits: a later refresh must read it again for that.
    feed.body_hash = "" if report.pages_deferred or _waiting_for_pages(feed) else body_hash
    if report.pages_deferred:
        # The pages left over are fetched by the next refreshes, soon, a budget at a time.
        interval = settings.NEWSDESK.min_refresh_minutes * 60
        report.warnings.append(
            f"{report.pages_deferred} article pages left for the next refreshes "
            f"(at most {settings.NEWSDESK.max_pages_per_refresh} a refresh: NEWSDESK_MAX_PAGES_PER_REFRESH)"
        )
    _record_success(feed, now, interval=interval)


def _record_unexpected(feed_id: int, error: Exception, report: RefreshReport) -> None:
    """Record a failure no pipeline error explains on the feed, read afresh (so nothing half-done is saved)."""
    report.error = f"unexpected error ({type(error).__name__}): {error}"
    try:
        feed = Feed.objects.get(pk=feed_id)
        _record_failure(feed, timezone.now(), RuntimeError(report.error), None)
    except Exception:
        log.exception("could not record the failure of feed %s", feed_id)
        raise error from None
    report.disabled = bool(feed.disabled_reason)


def _parse_or_explain(content: bytes, url: str, content_type: str | None, charset: str | None) -> ParsedFeed:
    """Parse a feed; an HTML page gets an error that names the feeds it announces."""
    try:
        return parse_feed(content, url, content_type=content_type, charset=charset)
    except FeedError as error:
        if looks_like_html(content):
            found = discover_feeds(content, url)
            hint = f"; it announces {found[0]}" if found else ""
            raise FeedError(f"{url} is an HTML page, not a feed{hint}", permanent=True) from error
        raise


def adapted_interval(items: list[FeedItem]) -> int:
    """Seconds until the next refresh: the median gap between recent items, within set bounds."""
    cfg = settings.NEWSDESK
    low, high = cfg.min_refresh_minutes * 60, cfg.max_refresh_minutes * 60
    dates = sorted((i.published_at for i in items if i.published_at), reverse=True)[:20]
    if len(dates) < 2:
        return max(low, min(high, 3600))
    gaps = [(a - b).total_seconds() for a, b in zip(dates, dates[1:], strict=False)]
    return int(max(low, min(high, statistics.median(gaps))))


def _record_success(feed: Feed, now: datetime, *, interval: int) -> None:
    feed.fetch_interval = interval
    feed.last_fetched_at = feed.last_success_at = now
    feed.consecutive_errors = 0
    feed.last_error = ""
    feed.next_fetch_at = now + timedelta(seconds=interval)
    feed.save(
        update_fields=[*_REFRESH_FIELDS, "last_success_at", "title", "etag", "last_modified", "body_hash"]
    )


# What a refresh writes on its feed (only these: an edit made meanwhile, in the admin, is kept).
_REFRESH_FIELDS = ["fetch_interval", "last_fetched_at", "consecutive_errors", "last_error", "next_fetch_at"]


REFUSED_ADDRESS = (
    "Refused: the address is private, loopback or a cloud metadata address "
    "(NEWSDESK_ALLOW_PRIVATE_ADDRESSES, NEWSDESK_ALLOW_METADATA_ADDRESSES)"
)


def _record_failure(feed: Feed, now: datetime, error: Exception, retry_after: float | None) -> None:
    cfg = settings.NEWSDESK
    feed.last_fetched_at = now
    feed.consecutive_errors += 1
    # A refused address is logged in full, shown only as refused: a feed's problem is public on
    # /feeds/, and what a name resolves to inside this network is not.
    shown = REFUSED_ADDRESS if isinstance(error, BlockedAddressError) else str(error)
    feed.last_error = shown[:2000]
    if getattr(error, "permanent", False):
        feed.disabled_reason = shown[:2000]
    elif feed.consecutive_errors >= cfg.feed_error_limit:
        feed.disabled_reason = f"{feed.consecutive_errors} failures in a row; last: {error}"[:2000]
    high = cfg.max_refresh_minutes * 60
    backoff = min(high, feed.fetch_interval * 2 ** min(feed.consecutive_errors - 1, 10))
    if retry_after:
        backoff = min(high, max(backoff, int(retry_after)))
    feed.next_fetch_at = now + timedelta(seconds=backoff)
    feed.save(update_fields=[*_REFRESH_FIELDS, "disabled_reason"])
    log.info("feed %s failed (%s in a row): %s", feed.url, feed.consecutive_errors, error)


def ingest_items(
    items: list[FeedItem],
    *,
    source: Source,
    feed: Feed | None,
    fetcher: Fetcher,
    fetch_pages: bool,
    report: RefreshReport,
    keep: Callable[[], None] | None = None,
    page_budget: int | None = None,
    language: str = "",
) -> None:
    """Store feed items (from a fetched feed or a feed file), counting what happened in report.

    ``keep`` is called before each item (a refresh renews its claim there). At most ``page_budget``
    article pages are fetched (None: no bound); a teaser item past it is stored with the feed's
    text, and its page is fetched by a later refresh, so one huge feed cannot hold the fetcher.
    ``language`` is the feed's own (its channel's), for items whose page names none. The feed's
    fetch options (``FetchOptions``) say how its pages are fetched, and whether at all.

    Items are read (and their pages fetched) first, then stored together, ``STORE_BATCH`` at a
    time (``store_articles``: the new ones in one insert), so no transaction waits on the network.
    """
    entries = _Entries(feed) if feed is not None else None
    options = FetchOptions.of(feed)
    # What the feed's items share (a sentence appended to each) is cut from their texts; worked out
    # only when an item is drafted, so an unchanged refresh never reads them.
    context = _FeedContext(((feed.title if feed else "") or source.name or "").strip() or None, items)
    stored = _stored_at([u for u in (_item_url(item, source, feed) for item in items) if u])
    pending: list[_Pending] = []
    try:
        for item in items:
            if keep is not None:
                keep()
            wants_page = fetch_pages and options.full_text and _is_teaser(item)
            if entries is not None and entries.unchanged(item, wants_page=wants_page):
                report.unchanged += 1
                continue
            if wants_page and page_budget is not None and report.pages_fetched >= page_budget:
                wants_page = False
                report.pages_deferred += 1
            edited = entries is not None and entries.edited(item)
            read = _read_item(
                item, source, feed, fetcher, wants_page, edited, report, stored, language, options, context
            )
            if isinstance(read, int):
                report.unchanged += 1
                if entries is not None:
                    entries.record(item, read)
            elif read is not None:
                known = entries.article_of(item) if entries is not None else None
                pending.append(_Pending(item, read, known))
                if len(pending) >= STORE_BATCH:
                    _store_pending(pending, source, feed, report, entries)
    except ClaimLost:
        raise  # another refresh has the feed: it stores these items
    except Exception:
        _store_pending(pending, source, feed, report, entries)  # what was read before the failure stays
        raise
    _store_pending(pending, source, feed, report, entries)
    if entries is not None:
        entries.save()


# Drafts stored at once: bounds the memory a huge feed's pages take before they are stored.
STORE_BATCH = 100


@dataclass(frozen=True)
class FetchOptions:
    """A feed's own fetch options (Miniflux's per-feed settings), the defaults for a feed file."""

    user_agent: str | None = None  # None: Newsdesk's own
    full_text: bool = True  # fetch a teaser item's page for its full text
    body_selector: str = ""  # CSS selector of the article body on the item pages

    @classmethod
    def of(cls, feed: Feed | None) -> FetchOptions:
        if feed is None:
            return cls()
        return cls(
            user_agent=feed.user_agent.strip() or None,
            full_text=feed.fetch_full_text,
            body_selector=feed.body_selector.strip(),
        )


@dataclass
class _Pending:
    """A feed item read and drafted, waiting to be stored with the others of its batch."""

    item: FeedItem
    draft: ArticleDraft
    known: int | None  # the article this item of this feed was stored as before


def _store_pending(
    pending: list[_Pending],
    source: Source,
    feed: Feed | None,
    report: RefreshReport,
    entries: _Entries | None,
) -> None:
    """Store the drafts read so far and count what happened; empties ``pending``."""
    if not pending:
        return
    # An item of a feed file (no Feed) is no word of the outlet's now: it adds, never rewrites.
    results = store_articles(
        [(p.draft, p.known) for p in pending], source=source, feed=feed, verified=feed is not None
    )
    for waiting, result in zip(pending, results, strict=True):
        if result.created:
            report.new += 1
        elif result.changed:
            report.updated += 1
        else:
            report.unchanged += 1
        if result.created or result.changed:
            report.changed_ids.append(result.article.pk)
        if entries is not None:
            entries.record(waiting.item, result.article.pk)
    pending.clear()


def _item_hash(item: FeedItem) -> str:
    """A hash of everything the feed says about an item (an edit to any of it changes the hash)."""
    said = [
        item.guid,
        item.url,
        item.title,
        item.summary,
        item.content_html,
        item.author,
        item.published_at.isoformat() if item.published_at else None,
        item.updated_at.isoformat() if item.updated_at else None,
        item.image,
    ]
    return hashlib.sha256(json.dumps(said, ensure_ascii=False).encode()).hexdigest()


def _entry_key(item: FeedItem) -> str:
    return hashlib.sha256(item.key.encode()).hexdigest()


@dataclass
class _Entry:
    item_hash: str
    article_id: int
    developing: bool
    has_page: bool


class _Entries:
    """One feed's entries during one refresh: what each item said last, and which items it lists now."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        rows = (
            FeedEntry.objects.filter(feed=feed)
            .annotate(has_page=ExpressionWrapper(~Q(article__html=""), output_field=BooleanField()))
            .values_list("key", "item_hash", "article_id", "article__developing", "has_page")
        )
        self.known = {key: _Entry(h, article, developing, page) for key, h, article, developing, page in rows}
        self.seen: set[str] = set()
        self.changed: dict[str, tuple[str, int]] = {}

    def unchanged(self, item: FeedItem, *, wants_page: bool) -> bool:
        """Whether the item says what it said last time and its article needs nothing (a hash compared)."""
        key = _entry_key(item)
        self.seen.add(key)
        entry = self.known.get(key)
        return (
            entry is not None
            and entry.item_hash == _item_hash(item)
            and not entry.developing
            and not (wants_page and not entry.has_page)
        )

    def edited(self, item: FeedItem) -> bool:
        """Whether the feed listed this item before and said something else of it then."""
        entry = self.known.get(_entry_key(item))
        return entry is not None and entry.item_hash != _item_hash(item)

    def article_of(self, item: FeedItem) -> int | None:
        entry = self.known.get(_entry_key(item))
        return entry.article_id if entry is not None else None

    def record(self, item: FeedItem, article_id: int) -> None:
        self.changed[_entry_key(item)] = (_item_hash(item), article_id)

    def save(self) -> None:
        """Write the new and changed entries, mark the listed ones seen and the others no longer listed."""
        now = timezone.now()
        FeedEntry.objects.bulk_create(
            [
                FeedEntry(
                    feed=self.feed,
                    key=key,
                    item_hash=h,
                    article_id=article,
                    first_seen_at=now,
                    last_seen_at=now,
                )
                for key, (h, article) in self.changed.items()
            ],
            update_conflicts=True,
            unique_fields=["feed", "key"],
            update_fields=["item_hash", "article", "listed", "last_seen_at"],
        )
        entries = FeedEntry.objects.filter(feed=self.feed)
        entries.filter(key__in=self.seen - set(self.changed)).update(listed=True, last_seen_at=now)
        entries.filter(listed=True).exclude(key__in=self.seen).update(listed=False)


def _waiting_for_pages(feed: Feed) -> bool:
    """Whether an article the feed lists waits for its page (a developing one is fetched again)."""
    if not feed.fetch_full_text:
        return False  # its pages are never fetched
    return FeedEntry.objects.filter(feed=feed, listed=True, article__developing=True).exists()


def _read_item(
    item: FeedItem,
    source: Source,
    feed: Feed | None,
    fetcher: Fetcher,
    wants_page: bool,
    edited: bool,
    report: RefreshReport,
    stored: dict[str, _Stored],
    language: str,
    options: FetchOptions,
    context: _FeedContext | None = None,
) -> ArticleDraft | int | None:
    """The draft of one feed item, its page fetched when asked (the feed gives only a teaser).

    ``edited``: the feed said something else of this item last time. ``stored``: the articles at
    the items' URLs, read for the whole feed at once. Returns the id of the item's article when it
    is stored already and needs nothing, None when the item is skipped (noted in the report).
    """
    if not item.url and not item.guid:
        report.warnings.append(f"item {item.title[:60]!r} has neither link nor id; skipped")
        return None
    url = item.url or _guid_url(feed.url if feed else source.homepage, item)
    try:
        canonical = canonicalize_url(url)
    except ValueError as error:
        report.warnings.append(f"item {item.title[:60]!r}: {error}")
        return None
    at = stored.get(canonical)
    # Another source's article at this URL is left to the store to judge (it may be moving home).
    # An edited item whose text is the feed's own is drafted again: the edit may be in that text.
    from_feed_alone = edited and not wants_page
    if (
        at is not None
        and at.source_id == source.pk
        and not from_feed_alone
        and not _needs_refetch(at, item, options.full_text)
    ):
        return at.pk
    page = None
    if wants_page:
        report.pages_fetched += 1
        page = _page_for(canonical, fetcher, report, options)
    return draft_from(
        item, page, canonical, language=language, summary_as_text=not options.full_text, context=context
    )


def _item_url(item: FeedItem, source: Source, feed: Feed | None) -> str:
    """The canonical URL an item is stored at, "" when it has none that is valid."""
    if not item.url and not item.guid:
        return ""
    try:
        return canonicalize_url(item.url or _guid_url(feed.url if feed else source.homepage, item))
    except ValueError:
        return ""


def _guid_url(base: str, item: FeedItem) -> str:
    """A URL for an item with no link: its id when that is a URL, else one made from the feed's."""
    guid = item.guid or ""
    if guid.startswith(("http://", "https://")):
        return guid
    # canonicalize_url drops fragments, so the item key goes in the query.
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}newsdesk-item={item.key}"


@dataclass(frozen=True)
class _Stored:
    """What deciding whether to store an item again needs of the article at its URL (no text read)."""

    pk: int
    source_id: int
    developing: bool
    has_text: bool
    has_page: bool
    title: str
    updated_at: datetime | None


def _stored_at(urls: list[str]) -> dict[str, _Stored]:
    """The article at each of these URLs that has one, read in a few queries for a whole feed."""
    found: dict[str, _Stored] = {}
    unique = list(dict.fromkeys(urls))
    for start in range(0, len(unique), 500):
        found.update(_stored_chunk(unique[start : start + 500]))
    return found


def _stored_chunk(urls: list[str]) -> dict[str, _Stored]:
    rows = (
        ArticleURL.objects.filter(url__in=urls)
        .annotate(
            has_text=ExpressionWrapper(~Q(article__text=""), output_field=BooleanField()),
            has_page=ExpressionWrapper(~Q(article__html=""), output_field=BooleanField()),
        )
        .values_list(
            "url",
            "article_id",
            "article__source_id",
            "article__developing",
            "has_text",
            "has_page",
            "article__title",
            "article__updated_at",
        )
    )
    return {url: _Stored(*rest) for url, *rest in rows}


def _needs_refetch(article: _Stored, item: FeedItem, full_text: bool) -> bool:
    """A stored article is fetched again when the feed says it changed or it is developing."""
    if article.developing or not article.has_text:
        return True
    if full_text and _is_teaser(item) and not article.has_page:
        return True  # kept with the feed's teaser: its page is still to be fetched
    if item.title and item.title.strip() != article.title:
        return True
    return bool(item.updated_at and article.updated_at and item.updated_at > article.updated_at)


def _is_teaser(item: FeedItem) -> bool:
    return len(html_to_text(item.content_html or "")) < FULL_TEXT_MIN_CHARS and bool(item.url)


def _page_for(url: str, fetcher: Fetcher, report: RefreshReport, options: FetchOptions) -> Extracted | None:
    """The article on an item's page, fetched with the feed's options; None when it failed (noted)."""
    try:
        result = fetcher.fetch(url, user_agent=options.user_agent)
        html = decode_html(result.content, result.charset)
        page = extract(html, result.url)
    except PipelineError as error:
        # The item is kept with the feed's own text; the page is tried again next refresh.
        report.warnings.append(f"page {url}: {error}")
        return None
    if options.body_selector:
        page = _selected_body(page, html, options.body_selector, report)
    return page


def _selected_body(page: Extracted, html: str, selector: str, report: RefreshReport) -> Extracted:
    """The page with its body taken from what the feed's body selector picks on it; as extracted,
    with the reason noted, when the selector picks no text there."""
    unusable = validate_selector(selector)  # set before the check existed, or by hand in the database
    picked = None if unusable else select_body(html, selector, base_url=page.url)
    text = html_to_text(picked) if picked else ""
    if not text:
        why = f"is unusable ({unusable})" if unusable else "picks no text there"
        report.warnings.append(
            f"page {page.url}: the body selector {selector!r} {why}; the extracted text is kept"
        )
        return page
    return replace(page, text=text, html=sanitize_html(picked or "", page.url))


class _FeedContext:
    """What a feed knows beyond one item, for cleaning its items' texts (pipeline.boilerplate):
    the outlet's name and the lines its items share, each item's text made once."""

    def __init__(self, site_name: str | None, items: list[FeedItem]) -> None:
        self.site_name = site_name
        self._texts: dict[int, str] = {}
        self.repeated = SharedLines(lambda: [(self.text_of(item), item.title) for item in items])

    def text_of(self, item: FeedItem) -> str:
        """An item's own text as plain paragraphs: its content, else its summary."""
        key = id(item)
        if key not in self._texts:
            content_html = _without_self_link(item.content_html, item.url)
            summary_html = _without_self_link(item.summary, item.url)
            self._texts[key] = html_to_text(content_html or "") or html_to_text(summary_html or "")
        return self._texts[key]


def draft_from(
    item: FeedItem | None,
    page: Extracted | None,
    url: str,
    *,
    seen_at: str | None = None,
    language: str = "",
    summary_as_text: bool = False,
    context: _FeedContext | None = None,
) -> ArticleDraft:
    """Merge what a feed item and (when fetched) its page say about the article at ``url``.

    The one way a draft is made: for feed items (``refresh_feed``, feed files) and for a page on
    its own (``ingest_page``: no item; ``seen_at`` is the address the page came from). An item's
    summary is its text only with ``summary_as_text`` (a feed whose pages are never fetched);
    otherwise an item with a summary alone waits for its page's text.

    An item's text and summary lose the meta lines on top and the boilerplate below
    (``boilerplate.clean_text``: the title again, the outlet's name, the date, "Continue reading",
    the lines the feed's items share, from ``context``); a page's text was trimmed by the extractor.
    """
    content_html = _without_self_link(item.content_html, item.url) if item else None
    summary_html = _without_self_link(item.summary, item.url) if item else None
    title = ((item.title if item else None) or (page.title if page else "") or "").strip()

    def cleaned(text: str) -> str:
        if not item or not text:
            return text
        return clean_text(
            text,
            title=title or None,
            site_name=context.site_name if context else None,
            published=item.published_at,
            updated=item.updated_at,
            byline=item.author,
            language=_language_code(language) or None,
            repeated=context.repeated if context else (),
        )

    raw_summary = html_to_text(summary_html or "")
    raw_text = context.text_of(item) if context and item else html_to_text(content_html or "") or raw_summary
    feed_text = cleaned(raw_text)
    summary = feed_text if raw_summary == raw_text else cleaned(raw_summary)  # often the same text
    text = page.text if page and page.text else (feed_text if content_html or summary_as_text else "")
    developing = page.developing if page else developing_markers.is_developing(title, text or feed_text)
    seen = (
        item.url if item else None,
        seen_at,
        page.url if page else None,
        page.canonical_url if page else None,
    )
    return ArticleDraft(
        url=url,
        title=title,
        text=text,
        html=page.html if page else "",
        summary=summary[:2000],
        byline=((item.author if item else None) or (page.byline if page else "") or "").strip(),
        published_at=(item.published_at if item else None) or (page.published_at if page else None),
        updated_at=(item.updated_at if item else None) or (page.updated_at if page else None),
        language=(page.language if page else "") or _language_code(language),
        lead_image=_web_url_or_blank((item.image if item else None) or (page.lead_image if page else None)),
        developing=developing,
        guid=(item.guid if item else "") or "",
        other_urls=tuple(u for u in seen if u and _web_url_or_blank(u)),
    )


# ---------------------------------------------------------------------------------------------
# Pages


def ingest_page(
    url: str | None = None,
    *,
    content: bytes | None = None,
    charset: str | None = None,
    fetcher: Fetcher | None = None,
) -> StoreResult:
    """Store the article on one page, fetched from URL or given as bytes (a saved page, a WARC record).

    Raises PipelineError when the page cannot be fetched or holds no article.
    """
    fetched = content is None
    if content is None:
        if not url:
            raise ValueError("ingest_page needs a URL or the page's content")
        result = (fetcher or get_fetcher()).fetch(url)
        content, url, charset = result.content, result.url, result.charset
    page = extract(content, url, charset=charset)
    canonical = _page_address(page, url)
    draft = draft_from(None, page, canonical, seen_at=url)
    with transaction.atomic():
        return store_article(draft, source=source_for_url(canonical), verified=fetched)


def _page_address(page: Extracted, url: str | None) -> str:
    """The address a page is stored at: where it came from, or the canonical URL it names on that site.

    A page's canonical link is a claim: it names the article's address only on the site the page came
    from. A saved page with no address of its own is taken at its word (it has nothing else).

    Raises PipelineError when the page and the caller give no address at all.
    """
    came_from = page.url or url
    claimed = page.canonical_url
    if not came_from:
        if not claimed:
            raise PipelineError(
                "the page names no URL of its own (no canonical link); give its URL", permanent=True
            )
        return canonicalize_url(claimed)
    here = canonicalize_url(came_from)
    if claimed:
        try:
            there = canonicalize_url(claimed)
        except ValueError:
            return here
        if publisher_key(there) == publisher_key(here):
            return there
    return here


def _without_self_link(fragment: str | None, item_url: str | None) -> str | None:
    """An item's HTML without the trailing links back to the item itself ("Continue reading...",
    "Read more"): the feed's way of pointing at the page, never part of what the article says.

    Only trailing elements that are such a link and nothing else go (a link to the item inside a
    sentence stays).
    """
    if not fragment or not item_url or "<a" not in fragment:
        return fragment
    try:
        target = canonicalize_url(item_url)
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, etree.ParserError):
        return fragment
    removed = False
    for element in reversed(list(root)):
        if (element.tail or "").strip():
            break
        links = [element] if element.tag == "a" else element.findall(".//a")
        if len(links) != 1 or element.text_content().strip() != links[0].text_content().strip():
            break
        try:
            if canonicalize_url(links[0].get("href") or "", base=item_url) != target:
                break
        except ValueError:
            break
        element.drop_tree()
        removed = True
    if not removed:
        return fragment
    return "".join(
        [root.text or "", *(etree.tostring(child, encoding="unicode", method="html") for child in root)]
    )


def _language_code(declared: str) -> str:
    """A feed's declared language as a code ("en-us" -> "en-US"); "" for what is none."""
    code = declared.strip().replace("_", "-")
    if not code or len(code) > 8 or not all(part.isalnum() for part in code.split("-")):
        return ""
    head, _, region = code.partition("-")
    return f"{head.lower()}-{region.upper()}" if region else head.lower()


def _web_url_or_blank(url: str | None) -> str:
    """The URL when it is a usable http(s) address, else "" (a page may name javascript: or junk)."""
    if not url:
        return ""
    try:
        return canonicalize_url(url)
    except ValueError:
        return ""
