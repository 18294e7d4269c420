"""Near-copy marking (news/nearcopies.py): a copy of a copy is grouped under the original even when
it no longer resembles the original, copies are remembered across a restart, and nothing is linked
to an article published more than ``WINDOW`` earlier, whatever a batch spans."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.news.lineage import story_lineage
from newsdesk.news.models import Article, Source, Story
from newsdesk.news.nearcopies import WINDOW, NearCopyFinder
from newsdesk.pipeline.neardup import DEFAULT_THRESHOLD, jaccard

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)
WORDS = [
    "harbour",
    "council",
    "vote",
    "mayor",
    "ferry",
    "port",
    "storm",
    "closure",
    "workers",
    "union",
    "budget",
    "minister",
    "river",
    "bridge",
    "police",
    "report",
    "inquiry",
    "school",
    "hospital",
    "contract",
    "election",
    "court",
    "ruling",
    "tax",
    "plan",
    "city",
    "region",
]


def paragraph(seed: int, words: int = 45) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def article(story: Story, domain: str, text: str, hours: float) -> Article:
    src = Source.objects.get_or_create(domain=domain, defaults={"name": domain.split(".")[0]})[0]
    return Article.objects.create(
        source=src,
        story=story,
        url=f"https://{domain}/{hours}",
        title=f"{domain} at {hours}",
        text=text,
        published_at=T0 + timedelta(hours=hours),
    )


def chain(story: Story) -> tuple[Article, Article, Article]:
    """An original, a trimmed copy of it and a copy of that copy with two paragraphs of its own."""
    kept = [paragraph(n) for n in range(2)]
    original = article(story, "wire.example", "\n\n".join([*kept, paragraph(2), paragraph(3)]), 0)
    first = article(story, "daily.example", "\n\n".join(kept), 1)
    second = article(story, "weekly.example", "\n\n".join([*kept, paragraph(4), paragraph(5)]), 2)
    # the premise: the second copy resembles the first, no longer the original
    assert jaccard(first.text, original.text) >= DEFAULT_THRESHOLD
    assert jaccard(second.text, first.text) >= DEFAULT_THRESHOLD > jaccard(second.text, original.text)
    return original, first, second


def test_a_copy_of_a_copy_is_grouped_under_the_original() -> None:
    story = Story.objects.create(headline="Chain")
    original, first, second = chain(story)
    found = NearCopyFinder().mark([original, first, second])
    assert found == {first.pk: original.pk, second.pk: original.pk}
    assert Article.objects.get(pk=second.pk).duplicate_of_id == original.pk
    [group] = story_lineage(story).groups
    assert group.original.id == original.pk
    by_id = {c.report.id: c for c in group.copies}
    assert by_id[second.pk].parent.id == first.pk and by_id[second.pk].depth == 2


def test_a_copy_marked_before_a_restart_still_leads_to_its_original() -> None:
    story = Story.objects.create(headline="Restart")
    original, first, second = chain(story)
    assert NearCopyFinder().mark([original, first]) == {first.pk: original.pk}
    # a new placer loads the stored copy with its original from the database
    assert NearCopyFinder().mark([second]) == {second.pk: original.pk}


def test_nothing_is_linked_across_more_than_the_window_in_one_batch() -> None:
    story = Story.objects.create(headline="Window")
    text = "\n\n".join(paragraph(10 + n) for n in range(3))
    hours = WINDOW / timedelta(hours=1)
    old = article(story, "old.example", text, 0)
    inside = article(story, "inside.example", text, hours - 68)  # within the window
    late = article(story, "late.example", text, hours + 24)  # a day past it, 92 hours after the copy
    found = NearCopyFinder().mark([old, inside, late])
    # the late text copies the copy, but the original it would name is older than the window
    assert found == {inside.pk: old.pk}
    assert Article.objects.get(pk=late.pk).duplicate_of_id is None
    lone = Story.objects.create(headline="Alone")
    first = article(lone, "first.example", paragraph(20) + "\n\n" + paragraph(21), 0)
    again = article(lone, "again.example", first.text, hours + 1)
    assert NearCopyFinder().mark([first, again]) == {}
    assert Article.objects.get(pk=again.pk).duplicate_of_id is None


def test_a_stored_copy_in_a_batch_links_later_copies_to_its_original() -> None:
    story = Story.objects.create(headline="Stored")
    original, first, second = chain(story)
    NearCopyFinder().mark([original])
    Article.objects.filter(pk=first.pk).update(duplicate_of=original)  # as news/store.py links it
    first.refresh_from_db()
    finder = NearCopyFinder()
    assert finder.mark([first]) == {}
    assert finder.mark([second]) == {second.pk: original.pk}
