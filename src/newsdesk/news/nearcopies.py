"""Near-copies among recent articles: an article whose text nearly copies an earlier one is its copy.

The MinHash index holds the articles of a time window around the articles being placed (copies
of one text appear within days), loaded from the database as the placer moves through time, so
start-up costs nothing and memory follows the window, not the archive. Copies are indexed too, each
with its original (``roots``): a copy of a copy (a reprint of a reprint, edited twice) may be closer
to the copy it took than to the original, and it is linked to that copy's original, so a chain is one
group (``duplicate_of`` always names the original; which copy it took is ``news.lineage``'s, from the
texts). An article is linked only to an original published within ``WINDOW`` before it, whatever
the batch spans (a copy of a copy farther from the original starts a group of its own). Only the
story-lease holder calls ``mark`` (news/storydesk.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from newsdesk.news.models import Article
from newsdesk.pipeline.neardup import NearDuplicateIndex

# Syndicated copies appear within days of their original.
WINDOW = timedelta(days=7)


class NearCopyFinder:
    """Marks near-copies (``Article.duplicate_of``) of the articles published within ``WINDOW`` before."""

    def __init__(self) -> None:
        self.index = NearDuplicateIndex()
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.times: dict[int, datetime] = {}  # every indexed article's time
        self.roots: dict[int, tuple[int, datetime]] = {}  # an indexed copy's original and its time

    def _hold(self, pk: int, text: str, moment: datetime, root: tuple[int, datetime] | None) -> None:
        self.index.add(pk, text)
        self.times[pk] = moment
        if root is not None:
            self.roots[pk] = root

    def _cover(self, start: datetime, end: datetime) -> None:
        """Hold the articles published within [start - WINDOW, end] (loading a window ahead, once)."""
        low, high = start - WINDOW, end
        if self.start is not None and self.end is not None and self.start <= low and high <= self.end:
            return
        new_low, new_high = low, high + WINDOW
        for pk in [pk for pk, t in self.times.items() if t < new_low or t > new_high]:
            self.index.remove(pk)
            del self.times[pk]
            self.roots.pop(pk, None)
        if self.start is None or self.end is None or new_high < self.start or new_low > self.end:
            ranges = [(new_low, new_high)]
        else:  # only what the old window did not hold
            ranges = [(new_low, self.start), (self.end, new_high)]
        fields = ("id", "text", "sort_at", "duplicate_of_id", "duplicate_of__sort_at")
        for first, last in ranges:
            if first >= last:
                continue
            rows = Article.objects.filter(sort_at__gte=first, sort_at__lte=last).exclude(text="")
            for pk, text, moment, root, root_at in rows.values_list(*fields).iterator(2000):
                if pk not in self.times:
                    self._hold(pk, text, moment, (root, root_at) if root is not None else None)
        self.start, self.end = new_low, new_high

    def mark(self, articles: Sequence[Article]) -> dict[int, int]:
        """Mark which of these new articles copy an earlier one; returns {copy: original}."""
        if not articles:
            return {}
        self._cover(min(a.sort_at for a in articles), max(a.sort_at for a in articles))
        found: dict[int, int] = {}
        for article in sorted(articles, key=lambda a: (a.sort_at, a.pk)):
            if not article.text:
                continue  # no text to compare
            if article.duplicate_of_id is not None:  # linked as a copy when stored (news/store.py)
                if article.pk not in self.times:
                    root = self.roots.get(article.duplicate_of_id)
                    at = self.times.get(article.duplicate_of_id, article.sort_at)
                    self._hold(
                        article.pk, article.text, article.sort_at, root or (article.duplicate_of_id, at)
                    )
                continue
            since = article.sort_at - WINDOW
            roots: set[tuple[int, datetime]] = set()
            for match in self.index.query(article.text):
                pk = int(match)  # type: ignore[call-overload]
                moment = self.times.get(pk)
                if pk == article.pk or moment is None or moment > article.sort_at:
                    continue
                root = self.roots.get(pk, (pk, moment))  # a copy's match: its original
                if root[0] != article.pk and since <= root[1]:  # the original within the window
                    roots.add(root)
            if roots:
                original = min(roots, key=lambda root: (root[1], root[0]))  # the earliest is the original
                found[article.pk] = original[0]
                article.duplicate_of_id = original[0]
                self.roots[article.pk] = original
            if article.pk not in self.times:
                self.index.add(article.pk, article.text)
                self.times[article.pk] = article.sort_at
        for copy, original_id in found.items():
            Article.objects.filter(pk=copy).update(duplicate_of_id=original_id)
        return found
