"""Pages and API at scale: every page and API call, one request at a time, on a large desk.

Builds (once, cached on disk) a desk of ``--articles`` articles through the models with
``bulk_create`` -- outlets, feeds, stories (the largest of 200 reports), people, organisations
and places, hashtags, quotes and citations, spread Zipf-like so that the busiest person is on
about a fifth of all articles -- on SQLite (a throwaway ``NEWSDESK_HOME``) and on PostgreSQL (a
database of its own). Then it starts two ``newsdesk serve`` processes on each desk: one as
served (fragments kept until the store changes) and one with no fragment cache (every page
built afresh, as the first request after a change), and times every page and API call on both,
one request at a time, interleaved call by call, beside a static file from the same server.
Prints one table: p50 and p99 in ms, the server's own CPU ms per request (unmoved by other load on
the machine), the ratio to the static file and the size. With ``--wrk``: the home page's
requests/s under ``wrk -c16`` against the static file's, from ``newsdesk serve`` (one process of
8 threads) and from two forked waitress processes of 4 threads (threads or processes).

Exits non-zero when a call's median is over ``--target-ms`` (50 ms), built or kept, or, with
``--wrk``, when the home page serves under 20% of the static file's requests/s.

    python bench/scale.py --articles 10000                      # SQLite and PostgreSQL
    python bench/scale.py --articles 100000 --wrk               # the issue's scale (builds ~15 min)
    python bench/scale.py --articles 100000 --build-only        # just build (or check) the desks
    python bench/scale.py --articles 10000 --db sqlite --profile entity   # cProfile one call

Issue 11 (every story and entity page and story API call at <= 50 ms p50 at 100k articles): the
story page, the entity page and the story API calls, built (no fragment cache; a story's sections
kept per story version in its table, news/sections.py, are read as served), kept, and with
``--cold`` on a third server for which every kept story section is dropped before each of its
requests (the first view after a story changes: shown, not held to the target):

    python bench/scale.py --articles 100000 --db sqlite --cold \
        --calls "story,entity,api story,api statements,api lineage,api reliance,api framing"

Desks are kept in ``--cache`` (default ~/.cache/newsdesk-bench); PostgreSQL desks in the database
``newsdesk_scale_<N>`` at ``--postgres`` (default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path.home() / ".cache" / "newsdesk-bench"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
# The newest article is this long before the build: old enough that "2 hours ago" labels are stable.
NEWEST_AGE = timedelta(hours=1)
ARTICLE_EVERY = timedelta(minutes=4)
BUILD_VERSION = "1"  # bump when the shape of a built desk changes, to rebuild cached desks


# ---------------------------------------------------------------------------------------------
# Building a desk


def _words(rng: random.Random, count: int) -> list[str]:
    """Invented words made of syllables: text with the length and shape of news, owing nothing to any."""
    syllables = ["ka", "lo", "mer", "ti", "san", "dor", "vel", "a", "ri", "no", "bra", "sti", "en", "ul"]
    return ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(count)]


def _zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


def build_desk(n: int, seed: int = 7) -> None:
    """Fill the (migrated, empty) database with a desk of n articles."""
    from django.db import transaction

    from newsdesk.news.models import (
        Article,
        ArticleEntity,
        ArticleTag,
        Attribution,
        Entity,
        EntityKind,
        Feed,
        Ownership,
        Quote,
        Source,
        Story,
        Tag,
        make_excerpt,
    )

    rng = random.Random(seed)
    vocabulary = _words(rng, 5000)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with transaction.atomic():
        ownerships = [o.value for o in Ownership]
        sources = Source.objects.bulk_create(
            Source(
                name=f"Outlet {i} {vocabulary[i].title()}",
                homepage=f"https://outlet{i}.example/",
                domain=f"outlet{i}.example",
                country=rng.choice(["GB", "US", "DE", "FR", "SE", "BR", "IN"]),
                language="en",
                ownership=ownerships[i % len(ownerships)],
            )
            for i in range(100)
        )
        feeds = Feed.objects.bulk_create(
            Feed(url=f"https://{s.domain}/feed.xml", source=s, title=f"{s.name} news", last_success_at=now)
            for s in sources
        )
        feed_of = {feed.source_id: feed for feed in feeds}
        kinds = [EntityKind.PERSON, EntityKind.ORGANISATION, EntityKind.PLACE]
        entity_count = max(300, min(20000, n // 30))
        entities = Entity.objects.bulk_create(
            Entity(
                name=f"{vocabulary[i % 5000].title()} {vocabulary[(i * 7 + 3) % 5000].title()} {i}",
                kind=kinds[i % 3],
                key=f"entity {i}",
                latitude=(rng.uniform(-60, 70) if kinds[i % 3] == EntityKind.PLACE else None),
                longitude=(rng.uniform(-180, 180) if kinds[i % 3] == EntityKind.PLACE else None),
                country=rng.choice(["GB", "US", "DE"]) if kinds[i % 3] == EntityKind.PLACE else "",
            )
            for i in range(entity_count)
        )
        tag_count = max(200, min(10000, n // 50))
        tags = Tag.objects.bulk_create(
            Tag(name=f"{vocabulary[(i * 13) % 5000]}{i}", slug=f"{vocabulary[(i * 13) % 5000]}{i}")
            for i in range(tag_count)
        )
        # Four articles a story on average, in time order, so stories have a span and several outlets.
        story_count = max(1, n // 4)
        newest = now - NEWEST_AGE
        stories = Story.objects.bulk_create(
            Story(
                headline=" ".join(rng.choices(vocabulary, k=8)).capitalize(),
                created_at=newest - ARTICLE_EVERY * (4 * i),
                cluster_label=i + 1,
            )
            for i in range(story_count)
        )
        # The busiest story gathers 200 articles (a big event) on top of the even spread.
        entity_weights = _zipf_weights(entity_count)
        tag_weights = _zipf_weights(tag_count)
        people = [e for e in entities if e.kind == EntityKind.PERSON]
        articles: list[Article] = []
        story_of: list[Story] = []
        for i in range(n):
            published = newest - ARTICLE_EVERY * i
            story = stories[0] if i % 50 == 0 and i < 200 * 50 else stories[min(i // 4, story_count - 1)]
            paragraphs = [" ".join(rng.choices(vocabulary, k=rng.randint(40, 90))) for _ in range(8)]
            text = "\n\n".join(p.capitalize() + "." for p in paragraphs)
            source = sources[rng.randrange(len(sources))]
            articles.append(
                Article(
                    source=source,
                    feed=feed_of[source.pk],
                    url=f"https://{source.domain}/news/{i}",
                    guid=f"{source.domain}-{i}",
                    title=" ".join(rng.choices(vocabulary, k=rng.randint(6, 12))).capitalize(),
                    byline=f"By {vocabulary[i % 5000].title()}",
                    published_at=published,
                    fetched_at=published + timedelta(minutes=2),
                    sort_at=published,
                    language="en",
                    text=text,
                    html="".join(f"<p>{p}</p>" for p in text.split("\n\n")),
                    summary=paragraphs[0][:200],
                    excerpt=make_excerpt(text),
                    content_hash=f"{i:064x}",
                    developing=i % 37 == 0,
                    analysed_at=published + timedelta(minutes=3),
                    enriched_at=published + timedelta(minutes=3),
                    ai_summary=" ".join(rng.choices(vocabulary, k=30)).capitalize() + ".",
                    story=story,
                )
            )
            story_of.append(story)
        Article.objects.bulk_create(articles, batch_size=2000)
        links: list[ArticleEntity] = []
        article_tags: list[ArticleTag] = []
        quotes: list[Quote] = []
        citations: list[Attribution] = []
        for article in articles:
            mentioned = {entities[k] for k in rng.choices(range(entity_count), entity_weights, k=7)}
            # The busiest person is quoted in many articles: the entity page's quote list at its worst.
            if rng.random() < 0.2:
                mentioned.add(people[0])
            links += [ArticleEntity(article=article, entity=e, mentions=rng.randint(1, 6)) for e in mentioned]
            chosen = {k for k in rng.choices(range(tag_count), tag_weights, k=5)}
            article_tags += [ArticleTag(article=article, tag=tags[k], rank=r) for r, k in enumerate(chosen)]
            speakers = [e for e in mentioned if e.kind == EntityKind.PERSON]
            for position in (120, 900):
                speaker = rng.choice(speakers) if speakers and rng.random() < 0.8 else None
                quotes.append(
                    Quote(
                        article=article,
                        text=" ".join(rng.choices(vocabulary, k=rng.randint(8, 25))).capitalize() + ".",
                        speaker=speaker,
                        speaker_name=speaker.name if speaker else "",
                        anonymous=speaker is None,
                        speaker_description="" if speaker else "an official",
                        position=position,
                    )
                )
            if rng.random() < 0.2:
                cited = sources[rng.randrange(len(sources))]
                if cited.pk != article.source_id:
                    citations.append(Attribution(article=article, source=cited, cue="according to"))
        ArticleEntity.objects.bulk_create(links, batch_size=5000)
        ArticleTag.objects.bulk_create(article_tags, batch_size=5000)
        Quote.objects.bulk_create(quotes, batch_size=5000)
        Attribution.objects.bulk_create(citations, batch_size=5000)
        counts: dict[int, int] = {}
        for link in links:
            counts[link.entity_id] = counts.get(link.entity_id, 0) + 1
        for entity in entities:
            entity.article_count = counts.get(entity.pk, 0)
        Entity.objects.bulk_update(entities, ["article_count"], batch_size=5000)
        members: dict[int, list[Article]] = {}
        for article, story in zip(articles, story_of, strict=True):
            members.setdefault(story.pk, []).append(article)
        for story in stories:
            group = members.get(story.pk, [])
            story.article_count = len(group)
            story.source_count = len({a.source_id for a in group})
            story.first_published_at = min((a.sort_at for a in group), default=None)
            story.last_published_at = max((a.sort_at for a in group), default=None)
            story.developing = any(a.developing for a in group)
        Story.objects.bulk_update(
            stories,
            ["article_count", "source_count", "first_published_at", "last_published_at", "developing"],
            batch_size=5000,
        )
    print(
        f"built {n} articles ({len(links)} entity links, {len(article_tags)} hashtags, {len(quotes)} quotes)"
        f" in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


# ---------------------------------------------------------------------------------------------
# One database: build or reuse its desk, serve it, time it (runs in a process of its own)


def _environment(db: str, n: int, cache: Path, postgres: str) -> dict[str, str]:
    home = cache / f"{db}-{n}"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "newsdesk.desk.settings",
        "NEWSDESK_DEBUG": "false",
        "NEWSDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("NEWSDESK_DATABASE_URL", None)
    if db == "postgres":
        env["NEWSDESK_DATABASE_URL"] = f"{postgres.rstrip('/')}/newsdesk_scale_{n}"
    return env


def _prepare(db: str, n: int, postgres: str) -> None:
    """Migrate the desk of this process's NEWSDESK_HOME and build it unless a finished build is there."""
    home = Path(os.environ["NEWSDESK_HOME"])
    marker = home / "built"
    if marker.exists() and marker.read_text().strip() == f"{BUILD_VERSION} {n}":
        _setup()
        _migrate()
        return
    if db == "sqlite":
        for path in home.glob("newsdesk.sqlite3*"):
            path.unlink()
    else:
        import psycopg

        with psycopg.connect(f"{postgres.rstrip('/')}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS newsdesk_scale_{n}")
            connection.execute(f"CREATE DATABASE newsdesk_scale_{n}")
    _setup()
    _migrate()
    build_desk(n)
    from django.db import connection as django_connection

    with django_connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    marker.write_text(f"{BUILD_VERSION} {n}\n")


def _setup() -> None:
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench_urls() -> dict[str, str]:
    """The calls to time, each at its worst on this desk: the busiest entity, hashtag, outlet, story."""
    from django.conf import settings
    from django.db.models import Count

    from newsdesk.news.models import Article, Entity, Source, Story, Tag

    page_size = settings.NEWSDESK.page_size
    total = Article.objects.count()
    middle = Article.objects.order_by("-sort_at", "-id")[total // 2]
    article = Article.objects.order_by("-sort_at", "-id")[total // 3]
    story = Story.objects.order_by("-article_count", "id").first()
    entity = Entity.objects.order_by("-article_count", "id").first()
    tag = Tag.objects.annotate(n=Count("article_tags")).order_by("-n", "id").first()
    source = Source.objects.annotate(n=Count("articles")).order_by("-n", "id").first()
    assert story and entity and tag and source
    urls = {
        "static file": "/static/newsdesk/newsdesk.css",
        "home": "/",
        "deep home": _deep_home(middle, total // 2 // page_size + 1),
        "article": f"/articles/{article.pk}/",
        "story": f"/stories/{story.pk}/",
        "stories": "/stories/",
        "entity": f"/entities/{entity.pk}/",
        "tag": f"/tags/{tag.slug}/",
        "source": f"/sources/{source.pk}/",
        "feeds": "/feeds/",
        "api articles": "/api/articles",
        "api articles deep": f"/api/articles?cursor={_api_cursor(middle)}",
        "api article": f"/api/articles/{article.pk}",
        "api related": f"/api/articles/{article.pk}/related",
        "api stories": "/api/stories",
        "api story": f"/api/stories/{story.pk}",
        "api statements": f"/api/stories/{story.pk}/statements",
        "api lineage": f"/api/stories/{story.pk}/lineage",
        "api reliance": f"/api/stories/{story.pk}/reliance",
        "api framing": f"/api/stories/{story.pk}/framing",
    }
    return urls


def _deep_home(middle: Any, page_number: int) -> str:
    """The home page half way down the archive: a keyset link where the pages have one."""
    try:
        from newsdesk.news.keyset import older_than
    except ImportError:  # the tree before keyset pages (OFFSET)
        return f"/?page={page_number}"
    return f"/?{older_than(middle)}"


def _api_cursor(article: Any) -> str:
    from newsdesk.api.views import encode_cursor

    return encode_cursor(article)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


NO_FRAGMENTS = """# Written by bench/scale.py: the real settings with no fragment cache (every page built).
from newsdesk.desk.settings import *  # noqa: F403

CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}  # noqa: F405
"""


def _start_server(port: int, *, fragments: bool = True) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "newsdesk.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = os.environ.copy()
    if not fragments:
        folder = Path(os.environ["NEWSDESK_HOME"])
        (folder / "bench_no_fragments.py").write_text(NO_FRAGMENTS)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH", "")) if p)
        env["DJANGO_SETTINGS_MODULE"] = "bench_no_fragments"
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    _wait_for(port, server)
    return server


def serve_processes(port: int, processes: int, threads: int) -> None:
    """waitress in ``processes`` forked processes sharing one listening socket (a prefork server)."""
    import signal

    _setup()
    from django.db import connections
    from waitress import serve

    from newsdesk.desk.wsgi import application

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    connections.close_all()  # each child opens its own
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            serve(application, sockets=[listener], threads=threads, _quiet=True)
            os._exit(0)
        children.append(pid)

    def stop(*_: object) -> None:
        for child in children:
            os.kill(child, signal.SIGTERM)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        os.waitpid(child, 0)


def _start_forked(port: int, processes: int, threads: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--serve-forked", f"{port},{processes},{threads}"]
    server = subprocess.Popen(command, env=os.environ.copy(), stderr=subprocess.DEVNULL)
    _wait_for(port, server)
    return server


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_calls(
    ports: dict[str, int],
    urls: dict[str, str],
    repeat: int,
    pids: dict[str, int] | None = None,
    before: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Median and p99 ms of each call on each server, one request at a time, interleaved call by call
    (so that the machine's other load falls on every server and call alike). ``before[label]`` runs
    before each of that server's requests, untimed."""
    connections = {
        label: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for label, port in ports.items()
    }
    timings: dict[tuple[str, str], list[float]] = {(label, name): [] for label in ports for name in urls}
    # The server's own CPU time per request: what a page costs whatever else the machine runs.
    cpu: dict[tuple[str, str], float] = {(label, name): 0.0 for label in ports for name in urls}
    pids = pids or {}
    sizes: dict[str, int] = {}
    for round_number in range(repeat + 2):
        for name, url in urls.items():
            for label, connection in connections.items():
                if before and label in before:
                    before[label]()
                used = _cpu_seconds(pids[label]) if label in pids else 0.0
                start = time.perf_counter()
                connection.request("GET", url, headers={"Host": "127.0.0.1"})
                response = connection.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status != 200:
                    raise SystemExit(f"{url}: HTTP {response.status}: {body[:300]!r}")
                if round_number >= 2:  # two warm-up rounds: caches, first connections, lazy imports
                    timings[label, name].append(elapsed)
                    if label in pids:
                        cpu[label, name] += _cpu_seconds(pids[label]) - used
                sizes[name] = len(body)
    for connection in connections.values():
        connection.close()
    return {
        label: {
            name: {
                "p50": statistics.median(timings[label, name]),
                "p99": _percentile(timings[label, name], 99),
                "cpu": cpu[label, name] * 1000 / repeat if label in pids else math.nan,
                "kb": sizes[name] / 1024,
            }
            for name in urls
        }
        for label in ports
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


def wrk_rate(port: int, url: str, seconds: int) -> float:
    """Requests/s that ``wrk -t2 -c16`` gets from one URL."""
    if shutil.which("wrk") is None:
        raise SystemExit("--wrk needs wrk (apt-get install -y wrk)")
    # Warm every process and thread first (a fresh process's first page takes seconds: imports,
    # templates compiled, fragments made).
    subprocess.run(
        ["wrk", "-t2", "-c16", "-d3s", f"http://127.0.0.1:{port}{url}"], capture_output=True, check=True
    )
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", f"http://127.0.0.1:{port}{url}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit(f"no rate in wrk's output:\n{output}")


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    _prepare(args.db, args.articles, args.postgres)
    if args.build_only:
        return {}
    urls = bench_urls()
    if args.calls:
        wanted = {"static file", *(name.strip() for name in args.calls.split(","))}
        urls = {name: url for name, url in urls.items() if name in wanted}
    from django.db import connections

    connections.close_all()
    servers: dict[str, subprocess.Popen[bytes]] = {}
    ports = {"calls": _free_port()}
    if not args.only_kept:
        # Every page built afresh: what a page costs the first time after the store changes.
        ports["built"] = next(p for p in iter(_free_port, 0) if p not in ports.values())
    before: dict[str, Any] = {}
    if args.cold:
        # Built afresh with no story section kept either: the first view after the story changes.
        ports["cold"] = next(p for p in iter(_free_port, 0) if p not in ports.values())
        before["cold"] = _forget_sections
    try:
        for label, port in ports.items():
            servers[label] = _start_server(port, fragments=label == "calls")
        pids = {label: server.pid for label, server in servers.items()}
        # The cold server first in each call's turn: the sections it makes (after dropping them
        # all) are what the others read, as the first view after a change makes them for the rest.
        timed = {label: ports[label] for label in sorted(ports, key=lambda label: label != "cold")}
        result: dict[str, Any] = time_calls(timed, urls, args.repeat, pids, before)
        if args.wrk:  # one server loaded at a time
            port = ports["calls"]
            result["wrk"] = {
                "home": wrk_rate(port, "/", args.wrk_seconds),
                "static file": wrk_rate(port, urls["static file"], args.wrk_seconds),
            }
            if "built" in ports:
                result["wrk"]["home built"] = wrk_rate(ports["built"], "/", args.wrk_seconds)
            # Threads or processes: the same pages from two forked waitress processes of four threads.
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
            servers.clear()
            forked = _free_port()
            servers["forked"] = _start_forked(forked, 2, 4)
            result["wrk"]["home 2x4"] = wrk_rate(forked, "/", args.wrk_seconds)
            result["wrk"]["static file 2x4"] = wrk_rate(forked, urls["static file"], args.wrk_seconds)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    return result


def _forget_sections() -> None:
    """Drop every kept story section (news/sections.py), as a change to every story would."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM news_storysection")
    except DatabaseError:  # a tree before kept sections: nothing to drop
        pass


def profile_one(args: argparse.Namespace) -> None:
    """cProfile one call through Django's test client, in this process, after a warm-up."""
    import cProfile
    import pstats

    _prepare(args.db, args.articles, args.postgres)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    url = bench_urls().get(args.profile, args.profile)
    for _ in range(3):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for query in queries.captured_queries:
        print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(url)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


# ---------------------------------------------------------------------------------------------
# The lead's parts of issue 10 go here: ingest + enrichment articles/s with 1 and 2 worker
# processes; article page and API p50/p99 under wrk while ingesting; the story placer's resident
# memory at 100k and 1M stored vectors. Each adds rows to the table below from its own function,
# run on the same cached desks (``_environment`` / ``_prepare``).


def lead_rows(args: argparse.Namespace) -> list[str]:
    return []


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--repeat", type=int, default=25, help="timed requests per call")
    parser.add_argument("--target-ms", type=float, default=50.0)
    parser.add_argument("--wrk", action="store_true", help="also home vs static file under wrk -c16")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, without a database")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--only-kept", action="store_true", help="skip the run with no fragment cache (every page built)"
    )
    parser.add_argument("--profile", help="a call's name or a URL path: cProfile it (one --db)")
    parser.add_argument(
        "--calls", help="time only these calls (comma-separated names, as the table has them)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also a server timed with no story section kept (dropped before each of its requests)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a database's own process
    parser.add_argument("--serve-forked", help=argparse.SUPPRESS)  # PORT,PROCESSES,THREADS
    args = parser.parse_args(argv)

    if args.serve_forked:
        port, processes, threads = (int(part) for part in args.serve_forked.split(","))
        serve_processes(port, processes, threads)
        return 0
    if args.one:
        if args.profile:
            profile_one(args)
            return 0
        print(json.dumps(run_one(args)))
        return 0

    databases = [db.strip() for db in args.db.split(",") if db.strip()]
    results: dict[str, dict[str, Any]] = {}
    for db in databases:
        command = [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])]
        command += ["--one", "--db", db]
        env = _environment(db, args.articles, args.cache, args.postgres)
        if args.profile:
            return subprocess.run(command, env=env, cwd=ROOT).returncode
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            return done.returncode
        results[db] = json.loads(done.stdout.strip().splitlines()[-1])
    if args.build_only:
        return 0
    if args.json:
        print(json.dumps(results, indent=2))
    return report(results, databases, args)


def report(results: dict[str, dict[str, Any]], databases: list[str], args: argparse.Namespace) -> int:
    missed: list[str] = []
    # "built": no fragment cache, every page made afresh (the first request after the store
    # changes); "kept": as served, fragments kept until the store changes. ms; cpu: the server
    # process's own CPU ms per request (mean; unmoved by other load on the machine); x static: the
    # kept p50 over the static file's p50 from the same server in the same run. With --cold, "cold":
    # built afresh with no story section kept either (news/sections.py): the first view of a story
    # after it changes; shown, not held to the target.
    head = f"{'call (' + format(args.articles, ',') + ' articles)':<22}"
    for db in databases:
        head += f" | {db + ' built p50':>17} {'p99':>6} {'cpu':>5} {'kept p50':>8} {'p99':>6} {'cpu':>5}"
        head += f" {'x static':>8} {'kB':>6}"
        if "cold" in results[db]:
            head += f" {'cold p50':>8} {'cpu':>5}"
    print(head)
    names = list(next(iter(results.values()))["calls"])
    for name in names:
        line = f"{name:<22}"
        for db in databases:
            calls, built = results[db]["calls"], results[db].get("built", {})
            row, static = calls[name], calls["static file"]["p50"]
            cold = built.get(name, {"p50": math.nan, "p99": math.nan, "cpu": math.nan})
            line += f" | {cold['p50']:>17.1f} {cold['p99']:>6.1f} {cold['cpu']:>5.1f}"
            line += f" {row['p50']:>8.1f} {row['p99']:>6.1f} {row['cpu']:>5.1f}"
            line += f" {row['p50'] / static:>8.1f} {row['kb']:>6.1f}"
            if "cold" in results[db]:
                line += f" {results[db]['cold'][name]['p50']:>8.1f} {results[db]['cold'][name]['cpu']:>5.1f}"
            for label, p50 in (("built", cold["p50"]), ("kept", row["p50"])):
                if p50 > args.target_ms:
                    missed.append(f"{db} {name} {label} p50 {p50:.1f} ms > {args.target_ms:g} ms")
        print(line)
    if args.wrk:
        for db in databases:
            rates = results[db]["wrk"]
            share = rates["home"] / rates["static file"]
            built = f" (built afresh each time: {rates['home built']:.0f})" if "home built" in rates else ""
            print(
                f"{db}: wrk -c16 home {rates['home']:.0f} req/s{built}, static file"
                f" {rates['static file']:.0f} req/s: home at {share:.0%} of the static ceiling (target >= 20%)"
            )
            if "home 2x4" in rates:
                print(
                    f"{db}: wrk -c16, 2 processes x 4 threads: home {rates['home 2x4']:.0f} req/s, static file"
                    f" {rates['static file 2x4']:.0f} req/s (1 process x 8 threads, as `newsdesk serve`:"
                    f" home {rates['home']:.0f}, static {rates['static file']:.0f})"
                )
            if share < 0.2:
                missed.append(f"{db} home under wrk {share:.0%} of static < 20%")
    for row in lead_rows(args):
        print(row)
    for miss in missed:
        print(f"MISSED: {miss}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
