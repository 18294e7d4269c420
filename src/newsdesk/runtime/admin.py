"""Admin for what the runtime records: failed tasks (shown, never lost) and leases."""

from __future__ import annotations

from django.contrib import admin

from newsdesk.runtime.models import FailedTask, Lease


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    list_display = ("task", "failed_at", "attempts", "error")
    list_filter = ("task",)
    search_fields = ("error",)
    readonly_fields = ("task", "arguments", "error", "attempts", "failed_at")


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ("name", "holder", "expires_at", "generation")
    readonly_fields = ("name", "holder", "expires_at", "generation")
