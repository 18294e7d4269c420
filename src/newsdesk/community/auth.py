"""The authentication backend: Django's ModelBackend, refusing while log-ins are throttled."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from newsdesk.community.throttle import login_blocked


class ThrottledModelBackend(ModelBackend):
    """Refuses every log-in (even a right password) for a throttled username or address.

    Enforced here rather than in a form so that the admin's login page is throttled too.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if login_blocked(request, username):
            # PermissionDenied stops authenticate() trying any other backend.
            raise PermissionDenied("too many failed log-ins")
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return str(get_user_model().USERNAME_FIELD)
