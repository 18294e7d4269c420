"""Search results as JSON records: what ``newsdesk search --json`` prints (and the API may reuse)."""

from __future__ import annotations

from typing import Any

from django.utils.html import strip_tags

from newsdesk.api.records import article_record
from newsdesk.search.engine import Hit, Results


def hit_record(hit: Hit) -> dict[str, Any]:
    """One hit: the article's record (without its text), the score, and the highlights as HTML and text."""
    assert hit.article is not None  # the engine drops hits whose article is gone
    return {
        **article_record(hit.article, with_text=False),
        "score": hit.score,
        "title_html": str(hit.title),
        "snippet_html": str(hit.snippet),
        "snippet": _text(str(hit.snippet)),
    }


def results_record(results: Results) -> dict[str, Any]:
    return {
        "query": str(results.query),
        "sort": results.sort,
        "mode": results.mode,
        "hits": [hit_record(hit) for hit in results.hits],
        "next_cursor": results.next_cursor,
    }


def _text(html: str) -> str:
    """The highlighted HTML as plain text: the marks dropped, the escapes undone."""
    from html import unescape

    return unescape(strip_tags(html))
