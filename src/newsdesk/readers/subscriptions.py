"""A reader's subscriptions and folders: one function per action, used by the web pages and the reader APIs.

Feeds are the desk's (fetched once however many readers follow them); a ``Subscription`` is one
reader's hold on one: their name for it, its folder, their block, keep and rewrite rules. It is the
one record of "this reader follows this feed": My desk, the Google Reader and Fever APIs, OPML and
the subscriptions page all read it (a follow of kind "feed" became one, migration 0003).

Adding by URL never fetches the feed in the request: a page's address is read once to find the feed
it announces (the discovery of ``newsdesk add``), the feed is stored, and its first refresh is queued
through the task runner (``refresh_feed``), as "refresh now" is. Every function that takes a
subscription or a folder acts on that row alone; callers look rows up with ``user=`` (``own_*``), so
one reader never reaches another's.

Errors a reader can fix raise ``SubscriptionError`` (a ValueError) with the message to show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from newsdesk.news import jobs
from newsdesk.news.models import Article, Feed
from newsdesk.pipeline.errors import BlockedAddressError, PipelineError
from newsdesk.pipeline.feeds import discover_feeds, looks_like_html, parse_feed
from newsdesk.pipeline.fetch import Fetcher, validate_user_agent
from newsdesk.pipeline.opml import OpmlOutline, export_opml, parse_opml
from newsdesk.pipeline.urls import canonicalize_url
from newsdesk.readers import rules
from newsdesk.readers.models import Folder, Subscription
from newsdesk.runtime import dispatch

log = logging.getLogger(__name__)

FOLDER_NAME_MAX = 200
TITLE_MAX = 500
URL_MAX = 2000
#: A feed refreshed this recently is not refreshed again on a reader's click.
REFRESH_COOLDOWN = timedelta(minutes=1)
#: The most outlines one OPML import takes.
OPML_MAX_FEEDS = 5000


class SubscriptionError(ValueError):
    """Something the reader asked for that cannot be done; the message says why, for the page."""


# --- looking rows up, for one reader only ---------------------------------------------------------


def subscriptions_of(user: Any) -> QuerySet[Subscription]:
    """The reader's subscriptions with their feeds, outlets and folders, by folder and name."""
    return (
        Subscription.objects.filter(user=user)
        .select_related("feed__source", "folder")
        .order_by("folder__name", "title", "feed__title", "id")
    )


def folders_of(user: Any) -> QuerySet[Folder]:
    """The reader's folders, by name."""
    return Folder.objects.filter(user=user).order_by("name", "id")


def own_subscription(user: Any, pk: int) -> Subscription:
    """The reader's subscription ``pk``; raises Subscription.DoesNotExist for anyone else's."""
    return subscriptions_of(user).get(pk=pk)


def own_folder(user: Any, pk: int) -> Folder:
    """The reader's folder ``pk``; raises Folder.DoesNotExist for anyone else's."""
    return Folder.objects.get(user=user, pk=pk)


# --- subscribing ---------------------------------------------------------------------------------


def subscribe(
    user: Any,
    url: str,
    *,
    folder_name: str | None = None,
    title: str = "",
    fetcher: Fetcher | None = None,
) -> Subscription:
    """Subscribe the reader to the feed at ``url``, or to the first feed the page at ``url`` announces.

    A known feed is reused without a fetch; otherwise the address is read once (to tell a feed from
    a page, and find a page's feed), the feed is stored and its first refresh queued. Subscribing
    again to a feed already followed returns that subscription, moved and renamed when asked.
    Raises SubscriptionError saying why for an address that gives no feed.
    """
    feed = find_or_add_feed(url, fetcher=fetcher)
    return subscribe_feed(user, feed, folder_name=folder_name, title=title)


def subscribe_feed(user: Any, feed: Feed, *, folder_name: str | None = None, title: str = "") -> Subscription:
    """Subscribe the reader to a stored feed (idempotent); a feed never fetched gets its refresh queued."""
    title = _checked_title(title)
    with transaction.atomic():
        folder = _folder_named(user, folder_name) if folder_name else None
        subscription, created = Subscription.objects.get_or_create(
            user=user, feed=feed, defaults={"folder": folder, "title": title}
        )
        if not created and (folder is not None or title):
            subscription.folder = folder or subscription.folder
            subscription.title = title or subscription.title
            subscription.save(update_fields=["folder", "title"])
    if feed.last_fetched_at is None:
        queue_refresh(feed)
    return subscription


def find_or_add_feed(url: str, *, fetcher: Fetcher | None = None) -> Feed:
    """The feed at ``url`` or announced by the page there, stored if new (never refreshed here)."""
    address = _checked_url(url)
    known = Feed.objects.filter(url=address).first()
    if known is not None:
        return known
    try:
        result = (fetcher or jobs.get_fetcher()).fetch(address, accept=jobs.FEED_ACCEPT)
    except BlockedAddressError:
        raise SubscriptionError(f"{address}: {jobs.REFUSED_ADDRESS}") from None
    except PipelineError as error:
        raise SubscriptionError(f"Could not read {address}: {error}") from None
    if looks_like_html(result.content):
        return _announced_feed(address, result.content, result.url)
    try:
        parsed = parse_feed(
            result.content, result.url, content_type=result.content_type, charset=result.charset
        )
    except PipelineError as error:
        raise SubscriptionError(f"{address} is not a feed Newsdesk can read: {error}") from None
    return jobs.add_feed_url(result.url, title=parsed.title or "", site=parsed.link or None)


def _announced_feed(address: str, page: bytes, page_url: str) -> Feed:
    """The first feed a page announces, stored unfetched: its first refresh reads it, in the runner."""
    candidates = discover_feeds(page, page_url)
    if not candidates:
        raise SubscriptionError(
            f"{address} is a web page that announces no feed; give the feed's own address"
        )
    try:
        return jobs.add_feed_url(canonicalize_url(candidates[0]), site=page_url)
    except ValueError as error:
        raise SubscriptionError(
            f"{address} announces a feed at an address Newsdesk cannot use: {error}"
        ) from None


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise SubscriptionError("Give the address of a feed or of a page that announces one.")
    if len(url) > URL_MAX or "\x00" in url:
        raise SubscriptionError(f"An address is at most {URL_MAX} characters.")
    if "://" not in url:
        url = f"https://{url}"
    try:
        return canonicalize_url(url)
    except ValueError as error:
        raise SubscriptionError(f"{url} is not a web address Newsdesk can fetch: {error}") from None


def unsubscribe(subscription: Subscription) -> None:
    """End the subscription; the feed stays the desk's (others may read it, the admin manages it)."""
    subscription.delete()


def rename(subscription: Subscription, title: str) -> Subscription:
    """The reader's name for the feed; empty gives it the feed's own title back."""
    subscription.title = _checked_title(title)
    subscription.save(update_fields=["title"])
    return subscription


def move(subscription: Subscription, folder_name: str | None) -> Subscription:
    """Into the reader's folder of that name (made if missing); None or empty: out of any folder."""
    with transaction.atomic():
        subscription.folder = _folder_named(subscription.user, folder_name) if folder_name else None
        subscription.save(update_fields=["folder"])
    return subscription


def set_rules(subscription: Subscription, *, block: str, keep: str, rewrite: str) -> Subscription:
    """Store the reader's rules once every line parses; raises rules.RuleError naming the bad one."""
    checked = {}
    for name, text, parse in (
        ("block", block, rules.parse_filter_rules),
        ("keep", keep, rules.parse_filter_rules),
        ("rewrite", rewrite, rules.parse_rewrite_rules),
    ):
        try:
            parse(text)
        except rules.RuleError as error:
            raise rules.RuleError(f"{name.capitalize()} rules, {error}") from None
        checked[name] = "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())
    subscription.block_rules, subscription.keep_rules = checked["block"], checked["keep"]
    subscription.rewrite_rules = checked["rewrite"]
    subscription.save(update_fields=["block_rules", "keep_rules", "rewrite_rules"])
    return subscription


def _checked_title(title: str) -> str:
    title = (title or "").strip()
    if len(title) > TITLE_MAX or "\x00" in title:
        raise SubscriptionError(f"A name is at most {TITLE_MAX} characters.")
    return title


# --- folders -------------------------------------------------------------------------------------


def create_folder(user: Any, name: str) -> Folder:
    """A new folder; raises SubscriptionError when the reader has one of that name already."""
    name = _checked_folder_name(name)
    try:
        with transaction.atomic():
            return Folder.objects.create(user=user, name=name)
    except IntegrityError:
        raise SubscriptionError(f"You have a folder called {name!r} already.") from None


def rename_folder(folder: Folder, name: str) -> Folder:
    name = _checked_folder_name(name)
    if Folder.objects.filter(user_id=folder.user_id, name=name).exclude(pk=folder.pk).exists():
        raise SubscriptionError(f"You have a folder called {name!r} already.")
    folder.name = name
    folder.save(update_fields=["name"])
    return folder


def delete_folder(folder: Folder) -> int:
    """Delete the folder; its subscriptions stay, out of any folder. Returns how many there were."""
    with transaction.atomic():
        moved = Subscription.objects.filter(folder=folder).update(folder=None)
        folder.delete()
    return moved


def _folder_named(user: Any, name: str) -> Folder:
    folder, _ = Folder.objects.get_or_create(user=user, name=_checked_folder_name(name))
    return folder


def _checked_folder_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SubscriptionError("A folder needs a name.")
    if len(name) > FOLDER_NAME_MAX or "\x00" in name:
        raise SubscriptionError(f"A folder name is at most {FOLDER_NAME_MAX} characters.")
    return name


# --- refreshing ------------------------------------------------------------------------------------


def queue_refresh(feed: Feed) -> None:
    """Queue the feed's refresh through the task runner, after the current transaction commits."""
    dispatch.submit_on_commit("refresh_feed", feed_id=feed.pk)


def refresh_now(subscription: Subscription) -> str:
    """Queue a refresh of the subscription's feed and say so; never fetches here.

    A feed refreshed within REFRESH_COOLDOWN is not queued again (returns why). A disabled feed is
    given another chance: a refresh that fails for good disables it again, with the reason.
    """
    feed = subscription.feed
    now = timezone.now()
    if feed.last_fetched_at and now - feed.last_fetched_at < REFRESH_COOLDOWN:
        return f"{subscription.name} was refreshed under a minute ago; try again in a minute."
    if feed.disabled_reason:
        Feed.objects.filter(pk=feed.pk).update(disabled_reason="", consecutive_errors=0)
    queue_refresh(feed)
    return f"Refreshing {subscription.name}: new articles appear in a moment."


# --- fetch options -------------------------------------------------------------------------------


def fetch_options_refusal(user: Any, feed: Feed) -> str:
    """Why this reader may not change the feed's fetch options ("" when they may).

    The options change how the feed is fetched for everyone: staff may, and a reader who is the
    feed's only subscriber.
    """
    if user.is_staff:
        return ""
    readers = set(Subscription.objects.filter(feed=feed).values_list("user_id", flat=True)[:2])
    if readers == {user.pk}:
        return ""
    if user.pk not in readers:
        return "You do not subscribe to this feed."
    return (
        "Other readers subscribe to this feed too, and these options change how it is fetched for "
        "everyone: ask the desk's staff to change them."
    )


def set_fetch_options(
    user: Any, feed: Feed, *, user_agent: str, fetch_full_text: bool, body_selector: str
) -> Feed:
    """Change the feed's fetch options; raises SubscriptionError when the reader may not, or a value is bad."""
    refusal = fetch_options_refusal(user, feed)
    if refusal:
        raise SubscriptionError(refusal)
    feed.user_agent = checked_user_agent(user_agent)
    feed.body_selector = (
        rules.checked_selector(body_selector.strip(), "CSS selector") if body_selector.strip() else ""
    )
    feed.fetch_full_text = fetch_full_text
    # The next refresh reads the feed and its bodies again with the new options: no conditional
    # request (a 304 would keep the old text) and no "body unchanged" shortcut.
    feed.body_hash = ""
    feed.etag = ""
    feed.last_modified = ""
    feed.save(
        update_fields=["user_agent", "body_selector", "fetch_full_text", "body_hash", "etag", "last_modified"]
    )
    return feed


def checked_user_agent(value: str) -> str:
    """A User-Agent header value as the fetcher will send it (pipeline.fetch.validate_user_agent)."""
    value = (value or "").strip()
    problem = validate_user_agent(value)
    if problem:
        raise SubscriptionError(problem[0].upper() + problem[1:] + ".")
    return value


# --- what the reader sees --------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleFilter:
    """A reader's block and keep rules as one condition, and how many subscriptions they have."""

    subscribed: int
    hidden: Q | None  # articles the rules hide (None: the rules hide nothing)

    def apply(self, articles: QuerySet[Article]) -> QuerySet[Article]:
        return articles if self.hidden is None else articles.exclude(self.hidden)


def rule_filter(user: Any) -> RuleFilter:
    """The reader's rules, read in one query; build once per request and apply to every list."""
    hidden: Q | None = None
    rows = list(Subscription.objects.filter(user=user).values_list("feed_id", "block_rules", "keep_rules"))
    for feed_id, block_text, keep_text in rows:
        block, keep = rules.stored_filter_rules(block_text), rules.stored_filter_rules(keep_text)
        for condition in (rules.filter_q(block) if block else None, ~rules.filter_q(keep) if keep else None):
            if condition is not None:
                this = Q(feed_id=feed_id) & condition  # the cheap test first
                hidden = this if hidden is None else hidden | this
    return RuleFilter(subscribed=len(rows), hidden=hidden)


def visible(user: Any, articles: QuerySet[Article]) -> QuerySet[Article]:
    """``articles`` without those the reader's block and keep rules hide (one query for the rules).

    Only articles of feeds the reader subscribes to with rules are touched; the rules become one
    condition the database evaluates, so the result pages and counts like any queryset.
    """
    return rule_filter(user).apply(articles)


def subscribed_articles(
    user: Any, *, feed: Feed | None = None, folder: Folder | None = None
) -> QuerySet[Article]:
    """Articles of the reader's subscriptions (one feed's, one folder's, or all), rules applied."""
    feeds = Subscription.objects.filter(user=user)
    if folder is not None:
        feeds = feeds.filter(folder=folder)
    if feed is not None:
        feeds = feeds.filter(feed=feed)
    return visible(user, Article.objects.filter(feed_id__in=feeds.values("feed_id")))


def unread_by_feed(user: Any) -> dict[int, int]:
    """Unread articles (within the unread window) per subscribed feed id, rules applied: one query."""
    from newsdesk.readers.options import unread_window
    from newsdesk.readers.reading import is_read

    recent = subscribed_articles(user).filter(sort_at__gte=timezone.now() - unread_window())
    counts = recent.exclude(is_read(user)).order_by().values("feed_id").annotate(n=Count("id"))
    return {row["feed_id"]: row["n"] for row in counts}


def rewrite_rules_for(user: Any, article: Article) -> list[rules.RewriteRule]:
    """The reader's rewrite rules for the feed that brought the article (none when not subscribed)."""
    if not getattr(user, "is_authenticated", False) or article.feed_id is None:
        return []
    text = (
        Subscription.objects.filter(user=user, feed_id=article.feed_id)
        .values_list("rewrite_rules", flat=True)
        .first()
    )
    return rules.stored_rewrite_rules(text or "")


def shown_html(user: Any, article: Article) -> str:
    """The article's sanitized HTML as this reader is shown it: their rewrite rules applied."""
    return rules.rewrite_html(article.html, rewrite_rules_for(user, article))


# --- OPML ------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What one OPML import did."""

    added: int = 0  # new subscriptions
    already: int = 0  # feeds the reader subscribed to before
    folders: list[str] = field(default_factory=list)  # folders the import made
    skipped: list[str] = field(default_factory=list)  # outlines left out, each with why


def import_opml(user: Any, content: bytes) -> ImportReport:
    """Subscribe the reader to every feed of an OPML file, in folders named by its outlines.

    All or nothing: a file that cannot be read raises SubscriptionError before anything is stored,
    and the subscriptions are made in one transaction. Feeds are stored unfetched; new ones get
    their first refresh queued once it commits. An outline whose address is no web address is
    skipped, and named in the report.
    """
    try:
        outlines = parse_opml(content)
    except PipelineError as error:
        raise SubscriptionError(f"That file is not an OPML list Newsdesk can read: {error}") from None
    if not outlines:
        raise SubscriptionError("That OPML file lists no feeds (no outline has an xmlUrl).")
    if len(outlines) > OPML_MAX_FEEDS:
        raise SubscriptionError(
            f"That OPML file lists {len(outlines)} feeds; at most {OPML_MAX_FEEDS} at once."
        )
    report = ImportReport()
    planned = _planned(outlines, report)
    with transaction.atomic():
        known_folders = set(Folder.objects.filter(user=user).values_list("name", flat=True))
        followed = set(Subscription.objects.filter(user=user).values_list("feed__url", flat=True))
        for url, outline, folder_name in planned:
            if url in followed:
                report.already += 1
                continue
            feed = jobs.add_feed_url(url, title=(outline.title or "")[:TITLE_MAX], site=_site(outline))
            title = outline.title if outline.title and outline.title != feed.title else ""
            subscribe_feed(user, feed, folder_name=folder_name, title=title[:TITLE_MAX])
            followed.add(url)
            report.added += 1
            if folder_name and folder_name not in known_folders:
                known_folders.add(folder_name)
                report.folders.append(folder_name)
    return report


def _planned(outlines: list[OpmlOutline], report: ImportReport) -> list[tuple[str, OpmlOutline, str | None]]:
    """Each outline's canonical address and folder name, checked before anything is stored."""
    planned = []
    for outline in outlines:
        try:
            url = _checked_url(outline.xml_url)
            folder = _checked_folder_name(outline.category) if outline.category else None
        except SubscriptionError as error:
            report.skipped.append(f"{outline.xml_url[:200]}: {error}")
            continue
        planned.append((url, outline, folder))
    return planned


def _site(outline: OpmlOutline) -> str | None:
    try:
        return canonicalize_url(outline.html_url) if outline.html_url else None
    except ValueError:
        return None


def export_subscriptions(user: Any) -> str:
    """The reader's subscriptions as OPML 2.0, one folder outline per folder, their own names kept."""
    outlines = [
        OpmlOutline(
            xml_url=sub.feed.url,
            title=sub.name,
            html_url=sub.feed.source.homepage or None,
            category=sub.folder.name if sub.folder else None,
        )
        for sub in subscriptions_of(user)
    ]
    return export_opml(outlines, title=f"{user.get_username()}'s subscriptions on Newsdesk")
