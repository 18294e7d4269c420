"""Who may do what: reader, moderator, admin, and whether an account may post."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission

from newsdesk.community.models import Profile

MODERATORS_GROUP = "Moderators"
MODERATE_PERMISSION = "community.moderate_comment"

Viewer = AbstractBaseUser | AnonymousUser


def is_moderator(user: Any) -> bool:
    """Moderators hold the moderate permission (through the group); superusers hold every one."""
    return bool(user.is_authenticated and user.has_perm(MODERATE_PERMISSION))


def profile_of(user: Any) -> Profile:
    """The reader's profile, made on first use for accounts that predate the community app."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        profile, _ = Profile.objects.get_or_create(user=user)
        return profile


def display_name(user: Any) -> str:
    """The name shown beside a reader's comments; never their email address."""
    if user is None:
        return "[deleted account]"
    try:
        return user.profile.name
    except Profile.DoesNotExist:
        return str(user.get_username())


def can_post(user: Any) -> bool:
    """Signed-in, active and not suspended (suspended readers may still log in and read)."""
    return bool(user.is_authenticated and user.is_active and not profile_of(user).is_suspended)


def ensure_moderators_group(**kwargs: Any) -> None:
    """post_migrate receiver: the Moderators group exists and holds the moderate permission."""
    try:
        permission = Permission.objects.get(content_type__app_label="community", codename="moderate_comment")
    except Permission.DoesNotExist:  # the auth app's receiver has not run yet on this database
        return
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.add(permission)
