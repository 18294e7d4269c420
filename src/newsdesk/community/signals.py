"""Receivers: a profile for every new account, and failed log-ins counted for the throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from newsdesk.community.models import Profile
from newsdesk.community.throttle import record_login_failure


@receiver(post_save, sender=get_user_model())
def make_profile(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


@receiver(user_login_failed)
def count_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Fired by django.contrib.auth.authenticate() for every form (ours, the admin's), so one place counts.
    record_login_failure(request, credentials.get("username"))
