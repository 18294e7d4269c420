"""JSON API: articles newest first and stories by coverage, each list paged by a keyset cursor.

A list record carries the excerpt, not the text (a page of 20 was 160 kB at 100k articles); the
article's own record carries the text. No list counts or OFFSETs (see news/keyset.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Value
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from newsdesk.api.records import article_record, story_record
from newsdesk.news import keyset, pagecache
from newsdesk.news.models import Article, ArticleQuerySet, Quote, Story
from newsdesk.news.related import related_articles
from newsdesk.news.views import story_coverage

# A malformed query parameter; the message names it. The page views raise the same (news.keyset).
BadRequest = keyset.BadParameter


def error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_GET
def article_list(request: HttpRequest) -> JsonResponse:
    """GET /api/articles?source=&story=&since=&cursor=&limit= — newest first, records without text."""
    try:
        articles = _filtered(request)
        limit = _limit(request)
        cursor = request.GET.get("cursor")
        if cursor:
            moment, last_id = decode_cursor(cursor)
            articles = articles.filter(keyset.before(moment, last_id))
    except BadRequest as problem:
        return error(str(problem))
    page = list(articles.listing()[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(page[-1]) if more and page else None
    return JsonResponse(
        {"results": [article_record(a, with_text=False) for a in page], "next_cursor": next_cursor}
    )


@require_GET
def article_detail(request: HttpRequest, article_id: int) -> JsonResponse:
    article = Article.objects.select_related("source").filter(pk=article_id).first()
    if article is None:
        return error(f"no article {article_id}", status=404)
    return JsonResponse(article_record(article))


@require_GET
def article_related(request: HttpRequest, article_id: int) -> JsonResponse:
    """GET /api/articles/<id>/related — articles to read next, best first."""
    article = Article.objects.select_related("source").filter(pk=article_id).first()
    if article is None:
        return error(f"no article {article_id}", status=404)
    try:
        limit = _limit(request, default=10)
    except BadRequest as problem:
        return error(str(problem))
    return JsonResponse(
        {"results": [article_record(a, with_text=False) for a in related_articles(article, limit)]}
    )


@require_GET
def story_list(request: HttpRequest) -> JsonResponse:
    """GET /api/stories?limit=&cursor= — top stories: most outlets, then most recent.

    ``offset`` still works for old clients; ``next_cursor`` pages without one.
    """
    ranked = Story.objects.filter(
        merged_into__isnull=True, article_count__gt=0, last_published_at__isnull=False
    ).order_by("-source_count", "-last_published_at", "-id")
    try:
        limit = _limit(request)
        offset = _offset(request)
        if request.GET.get("cursor"):
            ranked = ranked.filter(_after_story(request.GET["cursor"]))
    except BadRequest as problem:
        return error(str(problem))
    stories = list(ranked[offset : offset + limit + 1])
    more = len(stories) > limit
    stories = stories[:limit]
    return JsonResponse(
        {
            "results": [story_record(s) for s in stories],
            "next_cursor": _story_cursor(stories[-1]) if more and stories else None,
            "next_offset": offset + limit if more else None,
        }
    )


def _story_cursor(story: Story) -> str:
    assert story.last_published_at is not None
    raw = f"{story.source_count}|{story.last_published_at.isoformat()}|{story.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after_story(cursor: str) -> keyset.RowCompare:
    """Stories ranked after the one a cursor points at: (source_count, last_published_at, id) below it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        count_text, moment_text, id_text = raw.split("|")
        moment = parse_datetime(moment_text)
        if moment is None:
            raise ValueError(moment_text)
        moment = keyset.in_utc(moment)
        source_count = keyset.whole_number(count_text, "count", 0, MAX_COUNT)
        pk = keyset.whole_number(id_text, "id", 0, keyset.MAX_ID)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("cursor is not one this API gave out") from None
    return keyset.RowCompare(
        [F("source_count"), F("last_published_at"), F("id")],
        [
            Value(source_count, output_field=models.IntegerField()),
            Value(moment, output_field=models.DateTimeField()),
            Value(pk, output_field=models.BigIntegerField()),
        ],
        "<",
    )


@require_GET
def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    """GET /api/stories/<id> — the story with its articles, coverage, quotes and places."""
    story = Story.objects.annotate(**pagecache.version_fields()).filter(pk=story_id).first()
    if story is None:
        return error(f"no story {story_id}", status=404)
    # Kept as JSON until the store changes (the story's own row moves with every placement into it).
    parts = [story.pk, story.article_count, story.source_count, story.last_published_at, story.merged_into_id]
    body = pagecache.fragment(pagecache.version_of(story), "api-story", parts, lambda: _story_json(story))
    return HttpResponse(body, content_type="application/json")


def _story_json(story: Story) -> str:
    coverage = story_coverage(story)
    record = story_record(story, articles=coverage.timeline)
    if coverage.more:  # the first reports are here; all of them, newest first, from the article list
        record["more_articles"] = f"/api/articles?story={story.pk}"
    record["merged_into"] = story.merged_into_id
    record["first_reported_by"] = coverage.first.source.name if coverage.first else None
    record["coverage"] = {
        "by_outlet": dict(coverage.by_outlet),
        "by_country": dict(coverage.by_country),
        "by_ownership": dict(coverage.by_ownership),
    }
    record["quotes"] = [_quote_record(q) for q in coverage.quotes]
    record["places"] = [
        {"name": p["entity"].name, "lat": p["lat"], "lon": p["lon"], "country": p["entity"].country or None}
        for p in coverage.places
    ]
    return json.dumps(record, cls=DjangoJSONEncoder)


def _quote_record(quote: Quote) -> dict[str, object]:
    return {
        "text": quote.text,
        "speaker": quote.speaker_name or None,
        "anonymous": quote.anonymous,
        "speaker_description": quote.speaker_description or None,
        "direct": quote.direct,
        "article_id": quote.article_id,
    }


# The deepest offset served, and the largest count a story's (PositiveIntegerField) row holds.
MAX_OFFSET = 100_000
MAX_COUNT = 2**31 - 1
DOMAIN_LENGTH = 253  # Source.domain's column


def _offset(request: HttpRequest) -> int:
    return keyset.whole_number(request.GET.get("offset", "0"), "offset", 0, MAX_OFFSET)


def _filtered(request: HttpRequest) -> ArticleQuerySet:
    articles = Article.objects.all()
    source = request.GET.get("source")
    if source:
        articles = (
            articles.filter(source_id=keyset.whole_number(source, "source", 1, keyset.MAX_ID))
            if source.isdigit()
            else articles.filter(source__domain=keyset.plain_text(source, "source", DOMAIN_LENGTH))
        )
    story = request.GET.get("story")
    if story:
        articles = articles.filter(story_id=keyset.whole_number(story, "story", 1, keyset.MAX_ID))
    since = request.GET.get("since")
    if since:
        articles = articles.filter(sort_at__gte=parse_moment(since, "since"))
    return articles


def _limit(request: HttpRequest, default: int | None = None) -> int:
    raw = request.GET.get("limit")
    default = default or settings.NEWSDESK.page_size
    if raw is None:
        return int(default)
    return keyset.whole_number(raw, "limit", 1, 200)


def parse_moment(raw: str, name: str) -> datetime:
    """An ISO 8601 date or time; naive means UTC. Raises BadRequest naming the parameter."""
    try:
        moment = parse_datetime(raw) or (parse_datetime(raw + "T00:00:00") if len(raw) == 10 else None)
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"{name} must be an ISO 8601 time such as 2026-11-27T08:00:00Z")
    try:  # an offset can carry a time past the calendar's last day (9999-12-31T23:59:59-23:59)
        return keyset.in_utc(moment)
    except ValueError:
        raise BadRequest(f"{name} is outside the years 1 to 9999") from None


def encode_cursor(article: Article) -> str:
    return keyset.cursor_of(article)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor points after; raises BadRequest for a cursor we did not make."""
    try:
        return keyset.decode_cursor(cursor)
    except keyset.BadCursor:
        raise BadRequest("cursor is not one this API gave out") from None
