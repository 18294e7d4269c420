"""Readers' data in the admin: mostly to look at (support, debugging deliveries), never the feed pool."""

from __future__ import annotations

from django.contrib import admin

from newsdesk.readers.models import (
    AlertRule,
    Delivery,
    DeliveryAttempt,
    DigestRun,
    Follow,
    Notification,
    ReadState,
    SavedArticle,
)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "source", "feed", "tag", "entity", "story", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "source", "feed", "tag", "entity", "story"]
    list_select_related = ["user", "source", "feed", "tag", "entity", "story"]


@admin.register(ReadState)
class ReadStateAdmin(admin.ModelAdmin):
    list_display = ["user", "article", "read_at", "opened_at"]
    raw_id_fields = ["user", "article"]
    list_select_related = ["user", "article"]


@admin.register(SavedArticle)
class SavedArticleAdmin(admin.ModelAdmin):
    list_display = ["user", "article", "saved_at"]
    raw_id_fields = ["user", "article"]
    list_select_related = ["user", "article"]


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "kind", "email", "webhook_url", "active"]
    list_filter = ["kind", "email", "active"]
    raw_id_fields = ["user", "tag", "entity", "source"]
    list_select_related = ["user"]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    readonly_fields = ["attempted_at", "ok", "status_code", "error", "duration_ms"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["channel", "state"]
    raw_id_fields = ["notification"]
    inlines = [DeliveryAttemptInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "rule", "article", "reason", "created_at", "read_at", "in_digest", "digested_at"]
    raw_id_fields = ["user", "rule", "article"]
    list_select_related = ["user", "rule", "article"]


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ["user", "day", "sent_at", "notification_count"]
    raw_id_fields = ["user"]
