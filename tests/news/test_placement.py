"""Story placement as single work: two steps, one lease, labels from the database, a bounded window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from newsdesk.news import enrichment
from newsdesk.news.enrichment import (
    STORY_LEASE,
    analyse_pending,
    finish_pending,
    pending_articles,
    place_pending,
)
from newsdesk.news.models import Article, ArticleVector, Source, Story
from newsdesk.news.storydesk import StoryDesk, story_desk
from newsdesk.runtime import leases

pytestmark = pytest.mark.django_db

QUAKE = (
    "Strong earthquake strikes southern Turkey near Gaziantep",
    "A magnitude 6.8 earthquake struck southern Turkey near Gaziantep, collapsing buildings. Rescue teams "
    "searched the rubble in Gaziantep and Kahramanmaras, the disaster agency AFAD said.",
)
BANK = (
    "European Central Bank holds interest rates steady",
    "The European Central Bank kept its key interest rates unchanged, with Christine Lagarde saying inflation "
    "in the euro zone was close to the bank's two percent target.",
)


@pytest.fixture
def outlets() -> list[Source]:
    return [
        Source.objects.create(name=f"Outlet {n}", domain=f"outlet{n}.example", country="SE") for n in range(4)
    ]


def article(source: Source, n: int, event: tuple[str, str], when: datetime) -> Article:
    title, text = event
    return Article.objects.create(
        source=source,
        url=f"https://{source.domain}/{n}",
        title=f"{title} ({n})",
        text=text,
        published_at=when,
    )


def test_it_counts_an_article_enriched_only_once_its_story_and_vector_are_stored(
    outlets: list[Source],
) -> None:
    now = timezone.now()
    first = article(outlets[0], 1, QUAKE, now)
    assert analyse_pending() == 1
    first.refresh_from_db()
    assert first.analysed_at is not None and first.enriched_at is None and first.story_id is None
    assert list(pending_articles()) == [first]
    report = finish_pending()
    first.refresh_from_db()
    assert report.placed == 1 and first.enriched_at is not None and first.story_id is not None
    assert ArticleVector.objects.filter(article=first).count() == 1
    assert not pending_articles().exists()


def test_it_labels_each_story_with_its_own_id(outlets: list[Source]) -> None:
    now = timezone.now()
    for n, source in enumerate(outlets[:2]):
        article(source, n, QUAKE, now - timedelta(hours=n))
        article(source, 10 + n, BANK, now - timedelta(hours=n))
    finish_pending()
    stories = list(Story.objects.filter(article_count__gt=0))
    assert len(stories) == 2
    assert all(story.cluster_label == story.pk for story in stories)


def test_it_finishes_what_a_crash_between_the_steps_left(
    outlets: list[Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = timezone.now()
    made = [article(source, n, QUAKE, now - timedelta(hours=n)) for n, source in enumerate(outlets)]
    analyse_pending()

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed mid-batch")

    monkeypatch.setattr(StoryDesk, "_write", crash)
    with pytest.raises(RuntimeError):
        place_pending()
    # The batch was one transaction: nothing of it is stored, and the articles still wait.
    assert not ArticleVector.objects.exists()
    assert not Article.objects.filter(story__isnull=False).exists()
    assert pending_articles().count() == len(made)
    monkeypatch.undo()
    assert finish_pending().placed == len(made)
    assert Article.objects.filter(enriched_at__isnull=False, story__isnull=False).count() == len(made)
    assert ArticleVector.objects.count() == len(made)
    assert Story.objects.filter(article_count__gt=0).count() == 1


def test_it_places_nothing_while_another_process_holds_the_lease(outlets: list[Source]) -> None:
    article(outlets[0], 1, QUAKE, timezone.now())
    analyse_pending()
    assert leases.acquire(STORY_LEASE, 60, holder="elsewhere:1") is not None
    assert place_pending(wait=0) == 0
    assert Article.objects.get().enriched_at is None
    leases.release(STORY_LEASE, holder="elsewhere:1")
    assert place_pending(wait=0) == 1


def test_it_reloads_its_stories_from_the_database_when_the_lease_changed_hands(outlets: list[Source]) -> None:
    now = timezone.now()
    article(outlets[0], 1, QUAKE, now - timedelta(hours=3))
    finish_pending()
    quake = Article.objects.get().story_id
    # Another process takes the lease and places an article of the same event with its own desk.
    article(outlets[1], 2, QUAKE, now - timedelta(hours=2))
    analyse_pending()
    generation = leases.acquire(STORY_LEASE, 60, holder="elsewhere:2")
    assert generation is not None
    other = StoryDesk(story_desk().embedder, timedelta(days=7))
    other.adopt(generation)
    other.place(list(enrichment.to_place()))
    leases.release(STORY_LEASE, holder="elsewhere:2")
    # Back here: the state this process held is stale; a third report still joins the one story.
    article(outlets[2], 3, QUAKE, now - timedelta(hours=1))
    finish_pending()
    assert set(Article.objects.values_list("story_id", flat=True)) == {quake}
    assert Story.objects.get(pk=quake).article_count == 3


def test_it_never_puts_reports_years_apart_in_one_story(outlets: list[Source]) -> None:
    article(outlets[0], 1, QUAKE, datetime(2011, 3, 1, tzinfo=UTC))
    article(outlets[1], 2, QUAKE, datetime(2026, 3, 1, tzinfo=UTC))
    finish_pending()
    assert len(set(Article.objects.values_list("story_id", flat=True))) == 2


def unique_word(n: int) -> str:
    """A made-up word whose first letters (what the embedder's stems keep) differ for every n < 676."""
    first, second = divmod(n, 26)
    return f"{chr(97 + first)}{chr(97 + second)}ordel"


def test_it_keeps_only_the_stories_near_the_articles_it_places(outlets: list[Source]) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(40):
        words = " ".join(unique_word(day * 6 + k) for k in range(6))  # nothing in common from day to day
        event = (words.title(), f"{words}.")
        article(outlets[day % 4], day, event, start + timedelta(days=day))
    finish_pending()
    desk = story_desk()
    # 40 days of stories were placed; the working set holds about two windows' worth.
    assert Story.objects.filter(article_count__gt=0).count() == 40
    assert len(desk.clusterer.stories()) <= 2 * desk.window.days + 2
    assert len(desk.stored) <= 2 * desk.window.days + 2


def test_it_analyses_again_a_text_that_changed_while_the_enrichers_read_it(
    outlets: list[Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = article(outlets[0], 1, QUAKE, timezone.now())
    original = enrichment.store_results

    def store_then_outlet_updates(*args: object) -> None:
        original(*args)  # type: ignore[arg-type]
        Article.objects.filter(pk=first.pk).update(content_hash="a-newer-text", text="A newer text.")

    monkeypatch.setattr(enrichment, "store_results", store_then_outlet_updates)
    analyse_pending(limit=1)
    first.refresh_from_db()
    assert first.analysed_at is None and first.enriched_at is None
    monkeypatch.undo()
    assert finish_pending().placed == 1


def test_it_stores_only_what_its_claim_still_holds(outlets: list[Source]) -> None:
    from newsdesk.runtime import claims

    made = [article(outlets[0], n, QUAKE, timezone.now()) for n in range(2)]
    slow_token, ids = claims.claim(enrichment.to_analyse(), 2, 60)
    # The slow worker's claim expires and another worker takes both articles over.
    Article.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    fast_token, taken = claims.claim(enrichment.to_analyse(), 2, 60)
    assert sorted(taken) == sorted(ids)
    assert enrichment.analyse(ids, token=slow_token) == 0
    assert not Article.objects.filter(analysed_at__isnull=False).exists()
    assert enrichment.analyse(taken, token=fast_token) == len(made)


def test_it_submits_enrichment_once_per_interval_whatever_the_schedulers(outlets: list[Source]) -> None:
    from newsdesk.news.tasks import tick
    from tests.news.test_admin import Recorder

    article(outlets[0], 1, QUAKE, timezone.now())
    first, second = Recorder(), Recorder()
    tick(first)
    tick(second)  # another scheduler, the same moment
    # and the hourly catch-up of lead images (news/tasks.py), also once whatever the schedulers
    assert [task for task, _ in first.submitted] == ["enrich_pending", "cache_images"]
    assert second.submitted == []


def test_it_keeps_languages_and_periods_apart_and_reads_them_back_from_the_database(
    outlets: list[Source],
) -> None:
    now = timezone.now()
    outlets[1].language = "pt"
    outlets[1].save()
    english = article(outlets[0], 1, QUAKE, now - timedelta(hours=2))
    english.language = "en"
    english.save()
    # The same words from an outlet that writes Portuguese (the article names no language).
    portuguese = article(outlets[1], 2, QUAKE, now - timedelta(hours=1))
    # An archive import of the same event three years back.
    archive = [article(outlets[2], 3 + n, QUAKE, now - timedelta(days=3 * 365, hours=n)) for n in range(2)]
    finish_pending()
    stories = {a.pk: Article.objects.get(pk=a.pk).story_id for a in [english, portuguese, *archive]}
    assert len({stories[english.pk], stories[portuguese.pk], stories[archive[0].pk]}) == 3
    assert stories[archive[0].pk] == stories[archive[1].pk]  # the archive clusters in its own period
    # A fresh placer loads the stories back with their languages: English joins English only.
    story_desk().forget()
    later = article(outlets[3], 9, QUAKE, now)
    later.language = "en-GB"
    later.save()
    finish_pending()
    assert Article.objects.get(pk=later.pk).story_id == stories[english.pk]
