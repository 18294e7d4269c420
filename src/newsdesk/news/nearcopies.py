"""Near-copies among recent articles: an article whose text nearly copies an earlier one is its copy.

The MinHash index holds the originals of a time window around the articles being placed (copies
of one text appear within days), loaded from the database as the placer moves through time, so
start-up costs nothing and memory follows the window, not the archive. Only the story-lease
holder calls ``mark`` (news/storydesk.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from newsdesk.news.models import Article
from newsdesk.pipeline.neardup import NearDuplicateIndex

# Syndicated copies appear within days of their original.
WINDOW = timedelta(days=7)


class NearCopyFinder:
    """Marks near-copies (``Article.duplicate_of``) among the originals within ``WINDOW``."""

    def __init__(self) -> None:
        self.index = NearDuplicateIndex()
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.times: dict[int, datetime] = {}

    def _cover(self, start: datetime, end: datetime) -> None:
        """Hold the originals published within [start - WINDOW, end] (loading a window ahead, once)."""
        low, high = start - WINDOW, end
        if self.start is not None and self.end is not None and self.start <= low and high <= self.end:
            return
        new_low, new_high = low, high + WINDOW
        for pk in [pk for pk, t in self.times.items() if t < new_low or t > new_high]:
            self.index.remove(pk)
            del self.times[pk]
        if self.start is None or self.end is None or new_high < self.start or new_low > self.end:
            ranges = [(new_low, new_high)]
        else:  # only what the old window did not hold
            ranges = [(new_low, self.start), (self.end, new_high)]
        for first, last in ranges:
            if first >= last:
                continue
            rows = Article.objects.filter(sort_at__gte=first, sort_at__lte=last, duplicate_of__isnull=True)
            for pk, text, moment in rows.exclude(text="").values_list("id", "text", "sort_at").iterator(2000):
                if pk not in self.times:
                    self.index.add(pk, text)
                    self.times[pk] = moment
        self.start, self.end = new_low, new_high

    def mark(self, articles: Sequence[Article]) -> dict[int, int]:
        """Mark which of these new articles copy an earlier one; returns {copy: original}."""
        if not articles:
            return {}
        self._cover(min(a.sort_at for a in articles), max(a.sort_at for a in articles))
        found: dict[int, int] = {}
        for article in sorted(articles, key=lambda a: (a.sort_at, a.pk)):
            if not article.text or article.duplicate_of_id is not None:
                continue  # no text to compare, or linked as a copy when stored (news/store.py)
            earlier = [
                int(pk)  # type: ignore[call-overload]
                for pk in self.index.query(article.text)
                if pk != article.pk and self.times.get(int(pk), article.sort_at) <= article.sort_at  # type: ignore[call-overload]
            ]
            if earlier:
                found[article.pk] = min(
                    earlier, key=lambda pk: (self.times[pk], pk)
                )  # the earliest is the original
                article.duplicate_of_id = found[article.pk]
                if article.pk in self.times:  # loaded as an original before it was placed
                    self.index.remove(article.pk)
                    del self.times[article.pk]
            elif article.pk not in self.times:
                self.index.add(article.pk, article.text)
                self.times[article.pk] = article.sort_at
        for copy, original in found.items():
            Article.objects.filter(pk=copy).update(duplicate_of_id=original)
        return found
