"""The feeds Newsdesk publishes, in RSS 2.0 and Atom, built with Django's syndication framework.

Public feeds: the latest articles, one hashtag, one entity, one outlet, one story. Private feeds
(a reader's folder, saved search and saved articles) carry a key in their address: a Token of kind
FEED (readers/tokens.py), checked on every request, so revoking the key ends the feed (a bad or
revoked key is a 404, the same as a feed that does not exist).

Every item carries the article's summary, its hashtags as categories, its outlet, its dates, a link
to its Newsdesk page (the item's link and id) and one to the original (Atom ``rel="related"``; in
RSS an ``atom:link`` and a line of the description). A feed costs a fixed number of queries
whatever its length: the articles, then their hashtags in one query. Public feeds are kept, like
the page fragments, until the store changes (news/pagecache.py); every feed answers conditional
GETs (ETag of the body, Last-Modified of its newest item) with 304.

Article text comes from the open web: whatever it holds, the XML stays well formed, because every
string is stripped of what XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/F)
before it reaches the generator (Django's refuses control characters with an exception, a 500).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.cache import get_conditional_response
from django.utils.html import format_html
from django.utils.http import http_date, parse_http_date_safe

from newsdesk.news import pagecache
from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Entity, Source, Story, Tag
from newsdesk.news.views import CappedCount, _archive, _is_common
from newsdesk.readers.models import Folder, SavedArticle, SavedSearch, TokenKind
from newsdesk.readers.subscriptions import subscribed_articles
from newsdesk.readers.tokens import check
from newsdesk.search.engine import SearchError
from newsdesk.search.params import SearchParams

#: Items in one feed: readers poll, so a day of a busy tag, not the archive.
FEED_ITEMS = 50
#: The formats, by the name their URLs carry.
FORMATS = ("rss", "atom")

# Characters XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets): C0 controls but tab, LF
# and CR; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> Any:
    """``value`` without the characters XML 1.0 cannot carry (strings, and lists of them)."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list | tuple):
        return type(value)(xml_text(part) for part in value)
    return value


class _XmlSafe:
    """A feed generator that cleans every string it is given, the feed's and each item's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*xml_text(args), **{k: xml_text(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*xml_text(args), **{k: xml_text(v) for k, v in kwargs.items()})  # type: ignore[misc]


class RssFeed(_XmlSafe, feedgenerator.Rss201rev2Feed):
    """RSS 2.0, each item with the outlet as ``<source>`` and the original as an ``atom:link``."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("original"):
            handler.addQuickElement("atom:link", "", {"rel": "related", "href": item["original"]})
        if item.get("outlet"):
            handler.addQuickElement("source", item["outlet"], {"url": item["outlet_feed"]})


class AtomFeed(_XmlSafe, feedgenerator.Atom1Feed):
    """Atom, each entry with the original as ``rel="related"`` and the outlet as ``<source>``."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("original"):
            handler.addQuickElement("link", "", {"rel": "related", "href": item["original"]})
        if item.get("outlet"):
            handler.startElement("source", {})
            handler.addQuickElement("id", item["outlet_feed"])
            handler.addQuickElement("title", item["outlet"])
            handler.addQuickElement("link", "", {"rel": "self", "href": item["outlet_feed"]})
            handler.endElement("source")


GENERATORS: dict[str, type[feedgenerator.SyndicationFeed]] = {"rss": RssFeed, "atom": AtomFeed}
CONTENT_TYPES = {"rss": RssFeed.content_type, "atom": AtomFeed.content_type}


def with_tags(articles: Iterable[Article]) -> list[Article]:
    """The articles, each with ``feed_tags`` (its hashtags' names in rank order), in one query."""
    listed = list(articles)
    names: dict[int, list[str]] = {a.pk: [] for a in listed}
    links = ArticleTag.objects.filter(article_id__in=list(names)).order_by("article_id", "rank")
    for article_id, name in links.values_list("article_id", "tag__name"):
        names[article_id].append(name)
    for article in listed:
        article.feed_tags = names[article.pk]  # type: ignore[attr-defined]
    return listed


def newest(articles: QuerySet[Article]) -> QuerySet[Article]:
    """What a feed lists of these articles: the newest, with their outlets and summaries, no bodies."""
    return articles.select_related("source").defer("text", "html").order_by("-sort_at", "-id")[:FEED_ITEMS]


def linked(links: QuerySet[Any], count: int, archive: int) -> QuerySet[Article]:
    """The articles some link rows point at, by the plan the reader pages choose for that many."""
    return Article.objects.linked_from(links, common=_is_common(count, archive))


class ArticleFeed(Feed):
    """A feed of articles in one format; subclasses say which articles and what the feed is called."""

    #: Public feeds are kept until the store changes; private ones (per reader) are built each time.
    kept = True
    #: The URL name (in the ``syndication`` namespace, without the format) of this kind of feed.
    name = ""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.feed_type = GENERATORS[fmt]

    # --- serving: kept bodies and conditional GET ----------------------------------------------

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        self.request = request
        body = self._body(request, args, kwargs)
        response = HttpResponse(body["xml"], content_type=CONTENT_TYPES[self.format])
        response["ETag"] = '"' + hashlib.blake2b(body["xml"].encode(), digest_size=16).hexdigest() + '"'
        response["Last-Modified"] = http_date(body["modified"])
        response["Cache-Control"] = "private, max-age=0" if not self.kept else "max-age=60"
        answer = get_conditional_response(
            request, etag=response["ETag"], last_modified=body["modified"], response=response
        )
        return answer or response

    def _body(self, request: HttpRequest, args: Any, kwargs: Any) -> dict[str, Any]:
        def build() -> str:
            plain = super(ArticleFeed, self).__call__(request, *args, **kwargs)
            modified = http_date_to_timestamp(plain.get("Last-Modified", ""))
            return json.dumps({"xml": plain.content.decode("utf-8"), "modified": modified})

        if not self.kept:
            return dict(json.loads(build()))
        # The body holds absolute addresses: one kept body per scheme and host it was asked at.
        parts = [self.format, request.scheme, request.get_host(), request.path]
        key = pagecache.fragment_key(pagecache.store_version(), "feed", parts)
        kept = pagecache.kept(key)
        if kept is None:
            kept = build()
            pagecache.keep(key, kept)
        return dict(json.loads(kept))

    # --- the feed --------------------------------------------------------------------------------

    def feed_url(self, obj: Any) -> str:
        return self.request.path

    def description(self, obj: Any) -> str:
        return f"{self.title(obj)}: the newest {FEED_ITEMS} articles on Newsdesk."

    def title(self, obj: Any) -> str:
        raise NotImplementedError

    def link(self, obj: Any) -> str:
        raise NotImplementedError

    def articles(self, obj: Any) -> Iterable[Article]:
        raise NotImplementedError

    def items(self, obj: Any) -> list[Article]:
        return with_tags(self.articles(obj))

    # --- each item -------------------------------------------------------------------------------

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        summary = item.ai_summary or item.summary or item.excerpt
        return format_html(
            '<p>{}</p><p><a href="{}">Read the original at {}</a></p>', summary, item.url, item.source.name
        )

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Article) -> str:
        return self.request.build_absolute_uri(item.get_absolute_url())

    def item_guid_is_permalink(self, item: Article) -> bool:
        return True

    def item_author_name(self, item: Article) -> str:
        return item.byline or item.source.name

    def item_pubdate(self, item: Article) -> datetime:
        return item.published_at or item.sort_at

    def item_updateddate(self, item: Article) -> datetime:
        return item.updated_at or item.published_at or item.sort_at

    def item_categories(self, item: Article) -> list[str]:
        return list(getattr(item, "feed_tags", []))

    def item_extra_kwargs(self, item: Article) -> dict[str, Any]:
        outlet_feed = reverse(f"syndication:source_{self.format}", args=[item.source_id])
        return {
            "original": item.url,
            "outlet": item.source.name,
            "outlet_feed": self.request.build_absolute_uri(outlet_feed),
        }


def http_date_to_timestamp(value: str) -> int:
    return parse_http_date_safe(value) or 0


# --- public feeds ------------------------------------------------------------------------------


class PageFeed(ArticleFeed):
    """The feed of one page's object (a hashtag, entity, outlet, story), named and linked as it."""

    heading = "Newsdesk: {}"

    def title(self, obj: Any) -> str:
        return self.heading.format(obj)

    def link(self, obj: Any) -> str:
        return str(obj.get_absolute_url())


class LatestFeed(ArticleFeed):
    name = "latest"

    def title(self, obj: Any) -> str:
        return "Newsdesk: latest articles"

    def link(self, obj: Any) -> str:
        return reverse("news:home")

    def articles(self, obj: Any) -> Iterable[Article]:
        return newest(Article.objects.all())


class TagFeed(PageFeed):
    name = "tag"

    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        links = ArticleTag.objects.filter(tag=OuterRef("pk"))
        tags = Tag.objects.annotate(**pagecache.version_fields(), links=CappedCount(links))
        return tags.get(slug=slug)

    def articles(self, obj: Tag) -> Iterable[Article]:
        count = getattr(obj, "links", 0)
        return newest(linked(ArticleTag.objects.filter(tag=obj), count, _archive(obj)))


class EntityFeed(PageFeed):
    name = "entity"

    def get_object(self, request: HttpRequest, entity_id: int) -> Entity:
        return Entity.objects.annotate(**pagecache.version_fields()).get(pk=entity_id)

    def articles(self, obj: Entity) -> Iterable[Article]:
        links = ArticleEntity.objects.filter(entity=obj)
        return newest(linked(links, obj.article_count, _archive(obj)))


class SourceFeed(PageFeed):
    name = "source"

    def get_object(self, request: HttpRequest, source_id: int) -> Source:
        return Source.objects.get(pk=source_id)

    def articles(self, obj: Source) -> Iterable[Article]:
        return newest(Article.objects.filter(source=obj))


class StoryFeed(PageFeed):
    name = "story"
    heading = "Newsdesk story: {}"

    def get_object(self, request: HttpRequest, story_id: int) -> Story:
        story = Story.objects.get(pk=story_id)
        # A story merged into another goes on as that one (merges chain rarely, never in a loop).
        for _ in range(5):
            if story.merged_into_id is None:
                break
            story = Story.objects.get(pk=story.merged_into_id)
        return story

    def articles(self, obj: Story) -> Iterable[Article]:
        return newest(Article.objects.filter(story=obj))


# --- private feeds (a reader's own, behind a key) -----------------------------------------------


class PrivateFeed(ArticleFeed):
    """A reader's feed: the key in its address names the reader; a bad or revoked key is a 404.

    ``model``: the reader's own object the feed follows (its id is the address's other part), or
    None for a feed of the reader themself.
    """

    kept = False
    model: type[Folder] | type[SavedSearch] | None = None
    heading = "Newsdesk: {}"

    def get_object(self, request: HttpRequest, key: str, **ids: int) -> Any:
        token = check(key, (TokenKind.FEED,))
        if token is None:
            raise Http404("No such feed.")
        if self.model is None:
            return token.user
        (pk,) = ids.values()
        return self.model.objects.select_related("user").get(pk=pk, user=token.user)

    def title(self, obj: Any) -> str:
        return self.heading.format(obj.name)


class SavedFeed(PrivateFeed):
    name = "saved"

    def title(self, obj: Any) -> str:
        return f"Newsdesk: saved by {obj.get_username()}"

    def link(self, obj: Any) -> str:
        return reverse("readers:saved")

    def articles(self, obj: Any) -> Iterable[Article]:
        saved = SavedArticle.objects.filter(user=obj).order_by("-saved_at", "-id")
        rows = saved.select_related("article__source").defer("article__text", "article__html")
        return [row.article for row in rows[:FEED_ITEMS]]


class FolderFeed(PrivateFeed):
    name = "folder"
    model = Folder

    def link(self, obj: Folder) -> str:
        return reverse("readers:folder", args=[obj.pk])

    def articles(self, obj: Folder) -> Iterable[Article]:
        return newest(subscribed_articles(obj.user, folder=obj))  # the reader's rules applied


class SearchFeed(PrivateFeed):
    name = "search"
    model = SavedSearch
    heading = "Newsdesk search: {}"

    def link(self, obj: SavedSearch) -> str:
        return f"{reverse('search:search')}?{obj.query.lstrip('?')}"

    def articles(self, obj: SavedSearch) -> Iterable[Article]:
        return saved_search_articles(obj)


def saved_search_articles(saved: SavedSearch) -> list[Article]:
    """The newest articles the saved search finds, newest first, as the search page would find them.

    A stored query the search no longer takes (``SearchError``) gives an empty feed, not a failure.
    """
    try:
        params = replace(SearchParams.from_query(saved.query), sort="newest")
        results = params.run(user=saved.user, limit=FEED_ITEMS)
    except SearchError:
        return []
    return [hit.article for hit in results.hits if hit.article is not None]


#: Each feed kind: its class and the URL route after the format's prefix.
KINDS: dict[str, tuple[type[ArticleFeed], str]] = {
    "latest": (LatestFeed, ""),
    "tag": (TagFeed, "tags/<slug:slug>/"),
    "entity": (EntityFeed, "entities/<int:entity_id>/"),
    "source": (SourceFeed, "sources/<int:source_id>/"),
    "story": (StoryFeed, "stories/<int:story_id>/"),
    "saved": (SavedFeed, "private/<str:key>/saved/"),
    "folder": (FolderFeed, "private/<str:key>/folders/<int:folder_id>/"),
    "search": (SearchFeed, "private/<str:key>/searches/<int:search_id>/"),
}
