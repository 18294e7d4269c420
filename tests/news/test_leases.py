"""Leases, claims and retry meaning: what keeps single work single across processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.news.models import Article, Source
from newsdesk.pipeline.errors import FeedError, FetchError
from newsdesk.runtime import claims, leases
from newsdesk.runtime.models import FailedTask, Lease
from newsdesk.runtime.registry import TASKS, register_task
from newsdesk.runtime.retry import verdict
from newsdesk.runtime.runners import RetryLater, execute

pytestmark = pytest.mark.django_db


def test_it_gives_a_lease_to_one_holder_at_a_time() -> None:
    first = leases.acquire("job", 60, holder="a")
    assert first is not None
    assert leases.acquire("job", 60, holder="b") is None
    assert leases.acquire("job", 60, holder="a") == first  # renewing keeps the generation
    assert leases.holds("job", holder="a") and not leases.holds("job", holder="b")


def test_it_hands_an_expired_lease_over_with_a_new_generation() -> None:
    first = leases.acquire("job", 60, holder="a")
    Lease.objects.filter(name="job").update(expires_at=timezone.now() - timedelta(seconds=1))
    second = leases.acquire("job", 60, holder="b")
    assert first is not None and second == first + 1
    leases.release("job", holder="b")
    assert leases.acquire("job", 60, holder="b") == second  # taken back by its last holder: unchanged
    leases.release("job", holder="b")
    assert leases.acquire("job", 60, holder="a") == second + 1


def make_articles(n: int) -> list[Article]:
    source = Source.objects.create(name="Courier", domain="courier.example")
    return [
        Article.objects.create(source=source, url=f"https://courier.example/{i}", title=f"Item {i}")
        for i in range(n)
    ]


def test_it_never_gives_one_row_to_two_claims() -> None:
    made = make_articles(5)
    candidates = Article.objects.order_by("id")
    first_token, first = claims.claim(candidates, 3, 60)
    second_token, second = claims.claim(candidates, 3, 60)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert claims.claim(candidates, 3, 60)[1] == []
    claims.release(Article, first_token)
    assert sorted(claims.claim(candidates, 5, 60)[1]) == sorted(first)
    assert {a.pk for a in made} == set(first) | set(second)
    assert second_token != first_token


def test_it_takes_over_a_dead_workers_expired_claim() -> None:
    make_articles(2)
    candidates = Article.objects.order_by("id")
    _, dead = claims.claim(candidates, 2, 60)
    Article.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    _, taken = claims.claim(candidates, 2, 60)
    assert taken == dead


def test_it_keeps_the_retry_meaning_of_pipeline_errors() -> None:
    assert not verdict(FeedError("not a feed"), 0, 5).retry
    assert verdict(FetchError("503", status=503), 0, 5).retry
    assert verdict(FetchError("503", status=503, retry_after=600), 0, 5).delay == 600
    assert verdict(RuntimeError("boom"), 1, 5).delay > verdict(RuntimeError("boom"), 0, 5).delay
    assert not verdict(RuntimeError("boom"), 5, 5).retry


@pytest.fixture
def failing_tasks() -> object:
    def flaky() -> None:
        raise FetchError("timed out")

    def broken() -> None:
        raise FeedError("gone for good")

    register_task("test_flaky", flaky, max_retries=2)
    register_task("test_broken", broken)
    yield
    TASKS.pop("test_flaky")
    TASKS.pop("test_broken")


def test_it_retries_what_may_pass_and_records_what_cannot(
    failing_tasks: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # execute() closes stale connections around a task; here that would close the test's own.
    monkeypatch.setattr("newsdesk.runtime.runners.close_old_connections", lambda: None)
    with pytest.raises(RetryLater):
        execute("test_flaky", {}, attempt=0)
    assert not FailedTask.objects.exists()
    execute("test_flaky", {}, attempt=2)  # out of retries: recorded, not raised
    execute("test_broken", {})  # permanent: recorded at once
    failed = {f.task: f for f in FailedTask.objects.all()}
    assert failed["test_flaky"].attempts == 3 and "timed out" in failed["test_flaky"].error
    assert failed["test_broken"].attempts == 1 and "FeedError" in failed["test_broken"].error
