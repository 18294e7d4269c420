"""Admin: profiles (suspension, trust), comments with moderation actions, flags."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from newsdesk.community import actions
from newsdesk.community.models import Comment, CommentStatus, Flag, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "trusted", "suspended_at", "created_at")
    list_filter = ("trusted", ("suspended_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__email", "display_name")
    list_select_related = ("user",)
    raw_id_fields = ("user", "suspended_by")


class FlagInline(admin.TabularInline):
    model = Flag
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "status", "content_type", "object_id", "created_at", "deleted_at")
    list_filter = ("status", "content_type", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("body", "author__username")
    list_select_related = ("author", "content_type")
    raw_id_fields = ("author", "parent", "reply_to", "moderated_by")
    readonly_fields = ("body_html", "created_at", "edited_at", "moderated_at")
    date_hierarchy = "created_at"
    inlines = [FlagInline]
    actions = ["approve", "hide", "restore"]

    def save_model(self, request: HttpRequest, obj: Comment, form: object, change: bool) -> None:
        from newsdesk.community.markdown import render_comment

        # The stored HTML always follows the source, whoever edits it.
        obj.body_html = render_comment(obj.body)
        super().save_model(request, obj, form, change)

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Comment], action: str) -> None:
        for comment in queryset:
            actions.moderate_comment(request.user, comment, action)
        self.message_user(request, f"{action}: {len(queryset)} comment(s).")

    @admin.action(description="Approve selected comments")
    def approve(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset.filter(status=CommentStatus.PENDING), "approve")

    @admin.action(description="Hide selected comments")
    def hide(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "hide")

    @admin.action(description="Restore selected comments")
    def restore(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset.filter(status=CommentStatus.HIDDEN), "restore")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("comment", "user", "reason", "created_at", "resolved_at")
    list_filter = ("reason", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("comment", "user")
    raw_id_fields = ("comment", "user")
