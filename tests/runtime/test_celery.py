"""Scaled out for real: `newsdesk worker` and `newsdesk scheduler` processes on Redis or RabbitMQ and
PostgreSQL, ingesting feeds from a news site on 127.0.0.1, with workers killed and Redis restarted.

Every case ends with the same audit of the database: each article stored once, analysed, placed
in exactly one story (whose count agrees), with its vector.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.server import FixtureServer
from tests.runtime.conftest import Database, Desk, RedisServer, wait_for
from tests.runtime.newsfeeds import ManyFeedsSite, event_articles

pytestmark = pytest.mark.slow

FEEDS = 4


@pytest.fixture
def news(server: FixtureServer) -> ManyFeedsSite:
    """48 articles (8 on each of 6 events): two enrichment batches and a half."""
    return ManyFeedsSite(server, event_articles(8), FEEDS)


@pytest.fixture
def small_news(server: FixtureServer) -> ManyFeedsSite:
    """36 articles: one enrichment batch of 32 and a few more."""
    return ManyFeedsSite(server, event_articles(6), FEEDS)


def subscribe(desk: Desk, news: ManyFeedsSite) -> None:
    opml = desk.folder / "feeds.opml"
    opml.write_text(news.opml())
    desk.cli("import", str(opml), "--no-enrich")
    assert desk.database.value("SELECT count(*) FROM news_feed") == FEEDS


def counts(db: Database) -> dict[str, int]:
    row = db.rows(
        "SELECT count(*), count(analysed_at), count(enriched_at),"
        " count(*) FILTER (WHERE claimed_until > now() AND analysed_at IS NULL) FROM news_article"
    )[0]
    return dict(zip(("stored", "analysed", "enriched", "claimed"), row, strict=True))


def wait_enriched(desk: Desk, total: int, timeout: float) -> None:
    wait_for(
        lambda: counts(desk.database)["enriched"] >= total,
        timeout,
        f"{total} articles enriched",
        detail=lambda: f"{counts(desk.database)}\n{desk.logs()}",
    )


def audit(db: Database, total: int) -> None:
    """Every article stored once, analysed, in exactly one story whose count agrees, with one vector."""
    assert db.value("SELECT count(*) FROM news_article") == total
    assert db.value("SELECT count(DISTINCT url) FROM news_article") == total
    assert db.value("SELECT count(*) FROM news_article WHERE analysed_at IS NULL OR enriched_at IS NULL") == 0
    assert db.value("SELECT count(*) FROM news_article WHERE story_id IS NULL") == 0
    assert db.value("SELECT count(*) FROM news_article WHERE claimed_by <> ''") == 0
    missing = db.value(
        "SELECT count(*) FROM news_article a WHERE NOT EXISTS"
        " (SELECT 1 FROM news_articlevector v WHERE v.article_id = a.id)"
    )
    assert missing == 0
    assert db.value("SELECT count(*) FROM news_articlevector") == total
    miscounted = db.rows(
        "SELECT s.id, s.article_count, count(a.id) FROM news_story s JOIN news_article a ON a.story_id = s.id"
        " GROUP BY s.id, s.article_count HAVING s.article_count <> count(a.id)"
    )
    assert miscounted == []
    # Every article has the same set of enrichments (one row per enricher: the table's constraint).
    per_article = db.rows("SELECT count(*) FROM news_enrichment GROUP BY article_id")
    assert len(per_article) == total and len({n for (n,) in per_article}) == 1
    # Stories group the events: far fewer stories than articles.
    assert db.value("SELECT count(DISTINCT story_id) FROM news_article") < total // 2


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        return str(server.url)
    return str(request.getfixturevalue("rabbitmq_url"))


def test_it_fetches_enriches_and_places_with_two_workers_at_once(
    broker_url: str, make_desk: Callable[..., Desk], news: ManyFeedsSite
) -> None:
    desk = make_desk(broker_url)
    subscribe(desk, news)
    total = len(news.stories)
    workers = desk.workers("worker1", "worker2")
    desk.scheduler("scheduler1")
    desk.scheduler("scheduler2")  # several may run at once: the feeds' claims keep them apart
    started = time.monotonic()
    wait_enriched(desk, total, 150)
    elapsed = time.monotonic() - started
    desk.stop_all()  # warm shutdown: every task's outcome is in its worker's log
    audit(desk.database, total)
    # Both workers took refreshes, each feed refreshed once; no article analysed or placed twice.
    assert all(w.results("refresh_feed") for w in workers), desk.logs()
    refreshed = sorted(r["feed_id"] for w in workers for r in w.results("refresh_feed"))
    assert refreshed == sorted(set(refreshed)) and len(refreshed) == FEEDS
    analysed = sum(r["articles"] for w in workers for r in w.results("enrich_pending"))
    placed = sum(r["placed"] for w in workers for r in w.results("place_stories"))
    assert (analysed, placed) == (total, total), desk.logs()
    print(f"{total} articles fetched, enriched and placed by two workers in {elapsed:.1f} s")


def test_it_runs_with_a_worker_for_each_kind_of_work(
    redis_server: RedisServer, make_desk: Callable[..., Desk], small_news: ManyFeedsSite
) -> None:
    """The scaled-out layout: fetch on threads, enrichment on processes, stories on one worker alone."""
    desk = make_desk(redis_server.url)
    subscribe(desk, small_news)
    total = len(small_news.stories)
    fetch, enrich, stories = (
        desk.workers("fetch", args=("--queues", "fetch,default"))
        + desk.workers("enrich", args=("--queues", "enrich", "--concurrency", "2"))
        + desk.workers("stories", args=("--queues", "stories"))
    )
    assert "(thread)" in fetch.text() and "(prefork)" in enrich.text() and "(solo)" in stories.text()
    desk.scheduler()
    wait_enriched(desk, total, 120)
    desk.stop_all()
    audit(desk.database, total)
    assert len(fetch.results("refresh_feed")) == FEEDS
    assert sum(r["articles"] for r in enrich.results("enrich_pending")) == total
    assert sum(r["placed"] for r in stories.results("place_stories")) == total
    assert not enrich.results("refresh_feed") and not fetch.results("enrich_pending")


def test_it_loses_nothing_when_a_worker_is_killed_mid_batch(
    broker_url: str, make_desk: Callable[..., Desk], small_news: ManyFeedsSite
) -> None:
    desk = make_desk(broker_url, claim_seconds=20)  # the dead worker's batch is free after 20 s
    subscribe(desk, small_news)
    total = len(small_news.stories)
    (doomed,) = desk.workers("doomed")
    desk.scheduler()

    def mid_batch() -> bool:
        now = counts(desk.database)
        return now["stored"] == total and now["claimed"] > 0 and now["analysed"] < total

    wait_for(mid_batch, 60, "a batch being analysed", every=0.05, detail=desk.logs)
    doomed.signal(signal.SIGKILL)
    doomed.popen.wait(10)
    before = counts(desk.database)
    assert before["enriched"] < total

    (fresh,) = desk.workers("fresh")
    wait_enriched(desk, total, 60)
    desk.stop_all()
    audit(desk.database, total)
    workers = [doomed, fresh]
    analysed = sum(r["articles"] for w in workers for r in w.results("enrich_pending"))
    placed = sum(r["placed"] for w in workers for r in w.results("place_stories"))
    # The killed batch was never reported done, and was taken over once its claim expired.
    assert analysed <= total and fresh.results("enrich_pending"), desk.logs()
    assert placed == total, desk.logs()


def test_it_resumes_when_redis_restarts_mid_run(
    redis_server: RedisServer, make_desk: Callable[..., Desk], small_news: ManyFeedsSite
) -> None:
    desk = make_desk(redis_server.url)
    subscribe(desk, small_news)
    total = len(small_news.stories)
    (worker,) = desk.workers("worker")
    scheduler = desk.scheduler()

    def fetched_not_enriched() -> bool:
        now = counts(desk.database)
        return now["stored"] == total and now["enriched"] < total

    wait_for(fetched_not_enriched, 60, "every article stored", every=0.05, detail=desk.logs)
    redis_server.kill()  # nothing is saved: the queued tasks are gone with it
    time.sleep(3)
    redis_server.start()
    wait_enriched(desk, total, 60)
    audit(desk.database, total)
    assert worker.alive() and scheduler.alive()
    # Both stop cleanly on SIGTERM (a worker finishes its task first).
    for process in (scheduler, worker):
        process.popen.send_signal(signal.SIGTERM)
        assert process.popen.wait(30) == 0, process.text()[-3000:]
    assert "Connection to broker lost" in worker.text() or "Cannot connect" in worker.text(), worker.text()
