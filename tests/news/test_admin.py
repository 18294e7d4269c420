"""The admin's actions go through the task runner: no feed is fetched inside a web request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from newsdesk.news.models import Article, Feed, Source
from newsdesk.runtime import dispatch
from newsdesk.runtime.runners import TaskRunner

pytestmark = pytest.mark.django_db


class Recorder(TaskRunner):
    name = "recorder"

    def __init__(self) -> None:
        self.submitted: list[tuple[str, dict[str, Any]]] = []

    def submit(self, task: str, **kwargs: Any) -> None:
        self.submitted.append((task, kwargs))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    runner = Recorder()
    dispatch.use_runner(runner)
    yield runner
    dispatch.use_runner(None)


def test_it_queues_a_refresh_instead_of_fetching_in_the_request(recorder: Recorder) -> None:
    source = Source.objects.create(name="Courier", domain="courier.example")
    feed = Feed.objects.create(source=source, url="http://127.0.0.1:9/feed.xml")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client = Client()
    client.force_login(admin)
    with django_capture_on_commit():
        response = client.post(
            "/admin/news/feed/", {"action": "refresh_now", "_selected_action": [feed.pk]}, follow=True
        )
    assert response.status_code == 200
    assert recorder.submitted == [("refresh_feed", {"feed_id": feed.pk})]
    assert not Article.objects.exists()
    feed.refresh_from_db()
    assert feed.last_fetched_at is None  # nothing was fetched in the request


def django_capture_on_commit() -> Any:
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
