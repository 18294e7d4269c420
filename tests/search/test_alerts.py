"""Alert rules of kind "search": a saved search that finds a newly enriched article notifies its reader."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from newsdesk.news.models import Article, Feed, Source
from newsdesk.news.signals import article_enriched
from newsdesk.readers.models import AlertKind, AlertRule, Notification, SavedSearch, Subscription
from tests.search.conftest import InlineRunner, MakeArticle, hashtag

pytestmark = pytest.mark.django_db


def enriched(article: Article) -> None:
    article_enriched.send(sender=Article, article=article, created=True)


def search_rule(user: User, query: str, name: str = "Harbour news") -> AlertRule:
    saved = SavedSearch.objects.create(user=user, name=name, query=query)
    return AlertRule.objects.create(user=user, name=name, kind=AlertKind.SEARCH, saved_search=saved)


def test_a_saved_search_notifies_of_articles_it_finds(
    alice: User, bob: User, make_article: MakeArticle, runner: InlineRunner
) -> None:
    mine = search_rule(alice, "q=harbour+-opinion")
    search_rule(bob, "q=%22harbour+strike%22")
    enriched(make_article("Harbour reopens", text="Ships sail again."))
    enriched(make_article("Opinion: the harbour", text="It should stay shut."))
    notes = list(Notification.objects.select_related("article"))
    assert [(n.rule_id, n.article.title) for n in notes] == [(mine.pk, "Harbour reopens")]
    assert notes[0].reason == "matches your search “Harbour news”"


def test_the_saved_filters_apply(
    alice: User, make_article: MakeArticle, herald: Source, runner: InlineRunner
) -> None:
    search_rule(alice, f"q=harbour&source={herald.pk}&tag=ports")
    enriched(make_article("Harbour at the Courier", tags=[hashtag("ports")]))
    enriched(make_article("Harbour at the Herald", source=herald))
    assert not Notification.objects.exists()
    enriched(make_article("Harbour at the Herald, tagged", source=herald, tags=[hashtag("ports")]))
    assert list(Notification.objects.values_list("article__title", flat=True)) == [
        "Harbour at the Herald, tagged"
    ]


def test_only_my_feeds_follows_the_reader_subscriptions(
    alice: User, courier: Source, make_article: MakeArticle, runner: InlineRunner
) -> None:
    feed = Feed.objects.create(url="https://courier.example/rss", source=courier)
    search_rule(alice, "q=harbour&mine=1")
    enriched(make_article("Harbour one", feed=feed))
    assert not Notification.objects.exists()
    Subscription.objects.create(user=alice, feed=feed)
    enriched(make_article("Harbour two", feed=feed))
    assert Notification.objects.count() == 1


def test_a_broken_or_inactive_saved_search_notifies_nobody(
    alice: User, make_article: MakeArticle, runner: InlineRunner
) -> None:
    search_rule(alice, "q=harbour&sort=sideways")
    off = search_rule(alice, "q=harbour", name="off")
    AlertRule.objects.filter(pk=off.pk).update(active=False)
    enriched(make_article("Harbour reopens"))
    assert not Notification.objects.exists()


def test_enriching_again_notifies_once(alice: User, make_article: MakeArticle, runner: InlineRunner) -> None:
    search_rule(alice, "q=harbour")
    article = make_article("Harbour reopens")
    enriched(article)
    enriched(article)
    assert Notification.objects.count() == 1
