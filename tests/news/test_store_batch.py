"""Storing a feed's drafts together (``store_articles``): the same articles, versions and copies as
storing them one at a time, in a few queries when they are new, and nothing lost when a batch meets
an article another worker stored meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.news import store
from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Source
from newsdesk.news.store import ArticleDraft, source_for_url, store_article, store_articles

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _draft(n: int, **fields: Any) -> ArticleDraft:
    values: dict[str, Any] = {
        "url": f"https://example.org/news/{n}",
        "title": f"Council meets, day {n}",
        "text": f"The harbour council met on day {n} to weigh the ferry timetable.",
        "summary": f"Day {n} in brief.",
        "published_at": WHEN - timedelta(hours=n),
    }
    values.update(fields)
    return ArticleDraft(**values)


def _snapshot() -> list[tuple[Any, ...]]:
    """What the store holds, free of row ids: each article's URL, title, text, copy and addresses."""
    urls = {
        a: sorted(ArticleURL.objects.filter(article=a).values_list("url", flat=True))
        for a in Article.objects.all()
    }
    return sorted(
        (
            a.url,
            a.title,
            a.text,
            a.source.domain,
            a.duplicate_of.url if a.duplicate_of else None,
            tuple(urls[a]),
            a.sort_at == (a.published_at or a.fetched_at),
            a.excerpt,
            ArticleVersion.objects.filter(article=a).count(),
            (a.byline, a.language, a.lead_image, a.developing, a.summary, a.published_at, a.feed_id),
        )
        for a in Article.objects.select_related("source", "duplicate_of")
    )


def _mixed_batch() -> list[ArticleDraft]:
    """New drafts, an edit of a stored one, two drafts of one URL, two of one text, and a copy."""
    return [
        _draft(1),
        _draft(2, title="Council meets, day 2 (updated)"),  # stored before: an edit
        _draft(3),
        _draft(3, text="The harbour council met on day 3 and voted."),  # the same URL twice
        _draft(4, text="Shared wire text."),
        _draft(5, text="Shared wire text."),  # the same text as 4: the same outlet's article
        _draft(6, other_urls=("https://example.net/wire",)),  # claims another outlet's article: a copy
        _draft(7, other_urls=("https://example.org/news/1",)),  # names an article of the batch as its own
        _draft(8, published_at=None),
        _draft(10, byline="Mara Lindqvist", language="en", lead_image="https://example.org/10.jpg"),
        _draft(11, developing=True, updated_at=WHEN),  # its developing marker lapsed long ago
    ]


def _before() -> tuple[Source, Source]:
    own, other = source_for_url("https://example.org/"), source_for_url("https://example.net/")
    store_article(_draft(2), source=own)
    store_article(_draft(9, url="https://example.net/wire", text="Shared wire text."), source=other)
    return own, other


def test_a_batch_stores_what_one_at_a_time_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    own, _ = _before()
    for draft in _mixed_batch():
        store_article(draft, source=own)
    one_at_a_time = _snapshot()
    Article.objects.all().delete()

    own, _ = _before()
    together: list[str] = []
    real_insert = store._insert_many

    def spy(items: Any, *args: Any) -> Any:
        together.extend(draft.url for draft, _ in items)
        return real_insert(items, *args)

    monkeypatch.setattr(store, "_insert_many", spy)
    results = store_articles([(d, None) for d in _mixed_batch()], source=own)

    assert _snapshot() == one_at_a_time
    assert together == [f"https://example.org/news/{n}" for n in (8, 10, 11)]  # the certainly new ones
    assert [r.created for r in results] == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        True,
    ]
    assert results[6].article.duplicate_of is not None
    assert results[6].article.duplicate_of.url == "https://example.net/wire"
    assert results[7].article.pk == results[0].article.pk  # reached by the URL it names as its own
    assert results[2].article.pk == results[3].article.pk  # one URL, one article
    assert results[4].article.pk == results[5].article.pk  # one text of one outlet, one article


def test_new_drafts_go_in_together_in_a_few_queries() -> None:
    source = source_for_url("https://example.org/")
    drafts = [(_draft(n), None) for n in range(60)]
    with CaptureQueriesContext(connection) as queries:
        results = store_articles(drafts, source=source)
    assert all(r.created and r.changed for r in results)
    assert len({r.article.pk for r in results}) == 60 and all(r.article.pk for r in results)
    assert len(queries.captured_queries) <= 8
    stored = Article.objects.get(url="https://example.org/news/5")
    assert stored.sort_at == stored.published_at and stored.excerpt.startswith("The harbour council")
    assert ArticleURL.objects.count() == 60


def test_a_batch_that_meets_an_article_stored_meanwhile_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another worker stored one of the batch between its look-up and its insert: the insert is
    undone and each draft is stored one at a time, the taken one updating the article it met."""
    source = source_for_url("https://example.org/")
    meanwhile = store_article(_draft(3), source=source).article
    monkeypatch.setattr(store, "_certainly_new", lambda identities, knowns: list(range(len(identities))))

    results = store_articles(
        [(_draft(n, title=f"Day {n}, late edition"), None) for n in range(1, 6)], source=source
    )

    assert Article.objects.count() == 5
    assert [r.created for r in results] == [True, True, False, True, True]
    assert results[2].article.pk == meanwhile.pk and results[2].changed
    assert Article.objects.get(pk=meanwhile.pk).title == "Day 3, late edition"
    assert ArticleVersion.objects.filter(article=meanwhile).count() == 1


def test_a_known_article_is_reached_by_its_new_link() -> None:
    source = source_for_url("https://example.org/")
    old = store_article(_draft(1), source=source).article
    results = store_articles([(_draft(1, url="https://example.org/news/1-renamed"), old.pk)], source=source)
    assert results[0].article.pk == old.pk and not results[0].created
    assert Article.objects.get().url == "https://example.org/news/1-renamed"
