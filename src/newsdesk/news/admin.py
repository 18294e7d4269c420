"""Admin for the shared pool of outlets and feeds; its actions call the same orchestrators as the CLI."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from newsdesk.news import jobs
from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Feed, Source
from newsdesk.runtime import dispatch


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "country", "language", "ownership")
    list_filter = ("ownership", "country", "language")
    search_fields = ("name", "domain")


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "health", "consecutive_errors", "last_success_at", "next_fetch_at")
    list_filter = ("source",)
    list_select_related = ("source",)
    search_fields = ("url", "title", "source__name")
    readonly_fields = (
        "etag",
        "last_modified",
        "last_fetched_at",
        "last_success_at",
        "consecutive_errors",
        "last_error",
    )
    actions = ("refresh_now", "enable")

    @admin.action(description="Refresh the selected feeds now")
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        """Queue the refreshes on the task runner (never inside this request), claimed as the scheduler does."""
        now = timezone.now()
        queued = 0
        for feed in queryset.filter(disabled_reason=""):
            # The same claim as claim_due_feeds: the scheduler will not submit this feed beside us
            # (and a refresh delivered twice runs once: see jobs.refresh_feed).
            if jobs.claim_feed(feed.pk, feed.next_fetch_at, now=now):
                dispatch.submit_on_commit("refresh_feed", feed_id=feed.pk)
                queued += 1
        skipped = queryset.count() - queued
        self.message_user(request, f"{queued} feeds queued for a refresh; their health shows in /feeds/")
        if skipped:
            self.message_user(request, f"{skipped} disabled feeds not queued", level=messages.WARNING)

    @admin.action(description="Enable the selected feeds again")
    def enable(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = queryset.update(disabled_reason="", consecutive_errors=0, next_fetch_at=timezone.now())
        self.message_user(request, f"{count} feeds enabled")


class ArticleURLInline(admin.TabularInline):
    model = ArticleURL
    extra = 0


class ArticleVersionInline(admin.StackedInline):
    model = ArticleVersion
    extra = 0
    readonly_fields = ("title", "text", "developing", "valid_from", "replaced_at")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "published_at", "developing")
    list_filter = ("developing", "language")
    list_select_related = ("source",)
    search_fields = ("title", "url")
    raw_id_fields = ("source", "feed")
    inlines = (ArticleURLInline, ArticleVersionInline)
