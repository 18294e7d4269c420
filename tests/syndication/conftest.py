"""A small desk for the feeds: two outlets, tagged and enriched articles in a story, a reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from lxml import etree

from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Entity, Feed, Source, Story, Tag

ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Desk:
    source: Source
    other: Source
    feed: Feed
    story: Story
    tag: Tag
    entity: Entity
    articles: list[Article]
    reader: Any


def add_article(source: Source, n: int, feed: Feed | None = None, **fields: Any) -> Article:
    now = timezone.now()
    values: dict[str, Any] = {
        "title": f"Harbour report {n}",
        "text": f"The harbour reopened on day {n}, the mayor said.",
        "summary": f"Feed summary {n}.",
        "ai_summary": f"The harbour reopened ({n}).",
        "byline": "Ada Writer",
        "published_at": now - timedelta(hours=n),
        "enriched_at": now,
        **fields,
    }
    return Article.objects.create(source=source, feed=feed, url=f"https://{source.domain}/a/{n}", **values)


@pytest.fixture
def desk(db: None) -> Desk:
    source = Source.objects.create(
        name="Eastport Courier", domain="courier.example", homepage="https://courier.example/"
    )
    other = Source.objects.create(name="Westport Times", domain="times.example")
    feed = Feed.objects.create(url="https://courier.example/rss", source=source)
    story = Story.objects.create(headline="Harbour reopens")
    tag = Tag.objects.create(name="Harbour", slug="harbour")
    entity = Entity.objects.create(name="Mara Lind", kind="person", key="mara lind")
    articles = []
    for n in range(6):
        article = add_article(source if n % 2 == 0 else other, n, feed if n % 2 == 0 else None, story=story)
        ArticleTag.objects.create(article=article, tag=tag, rank=0)
        ArticleEntity.objects.create(article=article, entity=entity)
        articles.append(article)
    Story.objects.filter(pk=story.pk).update(
        article_count=6, source_count=2, last_published_at=timezone.now()
    )
    Entity.objects.filter(pk=entity.pk).update(article_count=6)
    reader = User.objects.create_user("reader", "reader@example.org", "pw")
    return Desk(source, other, feed, story, tag, entity, articles, reader)


def parse_valid(body: bytes, fmt: str) -> Any:
    """The feed parsed by feedparser, after checking it is well-formed XML with what its spec requires.

    RSS 2.0: a channel with title, link and description; each item a title or description.
    Atom (RFC 4287): a feed with id, title and updated; each entry id, title, updated and a link.
    """
    root = etree.fromstring(body)  # raises on anything not well formed
    if fmt == "rss":
        assert root.tag == "rss" and root.get("version") == "2.0"
        channel = root.find("channel")
        assert channel is not None
        for required in ("title", "link", "description"):
            assert channel.findtext(required), f"channel lacks <{required}>"
        for item in channel.findall("item"):
            assert item.findtext("title") or item.findtext("description")
    else:
        assert root.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated"):
            assert root.findtext(f"{ATOM}{required}"), f"feed lacks <{required}>"
        for entry in root.findall(f"{ATOM}entry"):
            for required in ("id", "title", "updated"):
                assert entry.find(f"{ATOM}{required}") is not None, f"entry lacks <{required}>"
            assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
    return parsed
