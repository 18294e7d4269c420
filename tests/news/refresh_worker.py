"""A process of its own that refreshes feeds at once, for the concurrency tests in tests/news/test_store.py.

It configures Django from its environment (NEWSDESK_DATABASE_URL, NEWSDESK_HOME), so each test gets
a fresh real database (a SQLite file, or a PostgreSQL database). Usage:

    python -m tests.news.refresh_worker FETCH_PAGES FEED_URL... -- INDEX...

migrates, follows each feed URL, then refreshes the feeds at the INDEXes (into the list of URLs;
one may appear twice) in one thread each, all released at the same moment, each thread with its
own database connection as two workers have; prints one JSON object: the refreshes' reports and
what the database then holds. An exception in a refresh ends the process with status 1.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from dataclasses import asdict
from typing import Any


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.desk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from newsdesk.news import jobs

    fetch_pages = argv[0] == "1"
    split = argv.index("--")
    urls, picks = argv[1:split], [int(n) for n in argv[split + 1 :]]
    call_command("migrate", interactive=False, verbosity=0)
    feed_ids = [jobs.add_feed_url(url).pk for url in urls]
    connection.close()

    barrier = threading.Barrier(len(picks))
    reports: list[dict[str, Any] | None] = [None] * len(picks)
    failures: list[str] = []

    def refresh(slot: int, feed_id: int) -> None:
        from django.db import connection

        from newsdesk.news.models import Feed

        try:
            Feed.objects.filter(pk=feed_id).exists()  # connected before the start, so all start at once
            barrier.wait(timeout=60)
            reports[slot] = asdict(jobs.refresh_feed(feed_id, fetch_pages=fetch_pages))
        except Exception:
            failures.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=refresh, args=(slot, feed_ids[pick])) for slot, pick in enumerate(picks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(json.dumps({"reports": reports, "held": _held()}, default=str))
    return 0


def _held() -> dict[str, Any]:
    from newsdesk.news.models import Article, ArticleURL, Feed

    feeds = [
        {
            "id": feed.pk,
            "health": feed.health,
            "last_error": feed.last_error,
            "consecutive_errors": feed.consecutive_errors,
            "next_fetch_in": feed.next_fetch_at.timestamp() - time.time(),
        }
        for feed in Feed.objects.order_by("pk")
    ]
    return {
        "articles": Article.objects.count(),
        "article_urls": sorted(Article.objects.values_list("url", flat=True)),
        "url_rows": ArticleURL.objects.count(),
        "feeds": feeds,
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
