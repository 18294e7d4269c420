"""Reader pages: server-rendered, each with a constant number of queries."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from newsdesk.news.models import Article, Feed, Source

RELATED_COUNT = 6


def _page_size() -> int:
    return int(settings.NEWSDESK["NEWSDESK_PAGE_SIZE"])


def home(request: HttpRequest) -> HttpResponse:
    """The latest articles across outlets, paginated."""
    articles = (
        Article.objects.select_related("source").defer("html", "text", "summary").order_by("-sort_at", "-id")
    )
    page = Paginator(articles, _page_size()).get_page(request.GET.get("page"))
    return render(request, "news/home.html", {"page": page})


def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    """One article laid out like an aggregator's page: body, hashtags, AI panel, comments, related."""
    article = get_object_or_404(Article.objects.select_related("source"), pk=article_id)
    related = (
        Article.objects.select_related("source")
        .defer("html", "text", "summary")
        .filter(source_id=article.source_id)
        .exclude(pk=article.pk)
        .order_by("-sort_at", "-id")[:RELATED_COUNT]
    )
    return render(request, "news/article.html", {"article": article, "related": related})


def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    """An outlet: its facts, its feeds and their health, its latest articles."""
    source = get_object_or_404(Source, pk=source_id)
    feeds = source.feeds.order_by("url")
    articles = (
        source.articles.select_related("source").defer("html", "text", "summary").order_by("-sort_at", "-id")
    )
    page = Paginator(articles, _page_size()).get_page(request.GET.get("page"))
    return render(request, "news/source.html", {"source": source, "feeds": feeds, "page": page})


def feed_list(request: HttpRequest) -> HttpResponse:
    """Every feed followed and its health, failing ones first."""
    feeds = Feed.objects.select_related("source").order_by("-consecutive_errors", "source__name", "url")
    page = Paginator(feeds, 100).get_page(request.GET.get("page"))
    return render(request, "news/feeds.html", {"page": page})
