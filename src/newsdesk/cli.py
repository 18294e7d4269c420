"""The `newsdesk` command.

Exit codes: 0 everything worked; 1 some inputs or feeds failed (each is reported);
2 a usage or configuration error (nothing was done).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
T = TypeVar("T")


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def setup_django(needs: Collection[str] = ()) -> None:
    """Configure Django from the environment, then run the start-up checks in ``needs``.

    Raises CommandError (exit 2) naming the key of a bad setting, or every problem the checks
    found (``newsdesk.desk.startup``), one a line, before the command does anything.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.desk.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        raise CommandError(f"bad setting: {error}") from None
    if needs:
        from django.conf import settings
        from django.db import connections

        # The database the command will use: under a test run, not the one the settings name.
        _refuse_problems(settings.NEWSDESK, needs, connections["default"].settings_dict)


def _refuse_problems(values: Any, needs: Collection[str], database: dict[str, Any] | None = None) -> None:
    """Raises CommandError listing every problem the start-up checks in ``needs`` find."""
    from newsdesk.desk import startup

    problems = startup.check(values, needs, database=database)
    if problems:
        raise CommandError("\n".join(f"bad setting: {problem}" for problem in problems))


def standalone_settings(needs: Collection[str] = ()) -> Any:
    """The settings of a command that runs without Django, checked; raises CommandError (exit 2)."""
    from newsdesk.desk import config

    try:
        values = config.current()
    except config.ConfigError as error:
        raise CommandError(f"bad setting: {error}") from None
    _refuse_problems(values, needs)
    return values


# What the commands that run Newsdesk check before they start (see newsdesk.desk.startup).
DB = ("database",)
ENRICHING = ("database", "enrichers", "embedder")


def _enriching(args: argparse.Namespace) -> tuple[str, ...]:
    return DB if args.no_enrich else ENRICHING


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def err(message: str) -> None:
    print(f"newsdesk: {message}", file=sys.stderr)


def emit_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))


@contextmanager
def progress(description: str, total: int | None, enabled: bool = True) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal; yields the function that advances it."""
    if not enabled or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def tracked(items: Sequence[T], description: str, enabled: bool = True) -> Iterable[T]:
    with progress(description, len(items), enabled) as advance:
        for item in items:
            yield item
            advance()


# ---------------------------------------------------------------------------------------------
# Commands


def cmd_up(args: argparse.Namespace) -> int:
    """Migrate, subscribe the default feeds on an empty database, start the scheduler and the web server."""
    setup_django((*ENRICHING, "email"))
    from django.conf import settings

    _listenable(args.host or settings.NEWSDESK.host, args.port or settings.NEWSDESK.port)  # before any work

    from newsdesk.news.models import Feed
    from newsdesk.runtime.runners import InProcessRunner
    from newsdesk.runtime.scheduler import Scheduler

    print(f"Newsdesk home: {settings.HOME}", file=sys.stderr)
    migrate()
    if not args.no_default_feeds and not Feed.objects.exists():
        count = subscribe_default_feeds()
        print(
            f"Subscribed {count} default feeds of major public outlets (--no-default-feeds skips this).",
            file=sys.stderr,
        )
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(is_superuser=True).exists():
        print(
            "No admin yet: run `newsdesk createadmin` to make one (then sign in at /admin/).", file=sys.stderr
        )
    from newsdesk.runtime.dispatch import use_runner

    runner = InProcessRunner()  # the embedded all-in-one: no broker, whatever NEWSDESK_TASK_RUNNER says
    use_runner(runner)  # alert deliveries and story placement share the scheduler's runner
    scheduler = Scheduler(runner)
    scheduler.start()
    _stop_on_signals()
    try:
        return serve(args.host, args.port)
    finally:
        scheduler.stop()
        runner.shutdown(wait=False)
        _leave_unfinished(runner, UP_STOP_GRACE)


# Seconds `up` gives its running tasks to end once stopped; after that it leaves them (their claims
# expire and the next worker or command finishes them, as after a kill -9: nothing is lost).
UP_STOP_GRACE = 10.0


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the server, whatever the parent process left in place (an ignored
    SIGINT, signals blocked in its mask, both inherited across exec)."""
    import signal

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _leave_unfinished(runner: Any, grace: float) -> None:
    """Wait up to ``grace`` seconds for the runner's tasks, then exit without them."""
    deadline = time.monotonic() + grace
    while runner.pending and time.monotonic() < deadline:
        time.sleep(0.1)
    if runner.pending:
        print(
            f"Stopping with {runner.pending} tasks unfinished: their claims expire and the next run "
            "finishes them.",
            file=sys.stderr,
        )
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(EXIT_OK)  # the pool's threads would otherwise be joined at exit, however long they take


def subscribe_default_feeds() -> int:
    from newsdesk.news import jobs
    from newsdesk.news.models import Source
    from newsdesk.pipeline.outlets import load_default_feeds

    defaults = load_default_feeds()
    for url, outlet in defaults:
        jobs.add_feed_url(url, source=Source.objects.filter(name=outlet).first())
    return len(defaults)


def _port(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 1 to 65535")
    return value


def _listenable(host: str, port: int) -> None:
    """Raises CommandError unless ``host`` names an address here that ``port`` can be bound on."""
    import socket

    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise CommandError(f"cannot listen on {host!r}: not an address or host name here ({error})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``; anything else is a usage error (exit 2)."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {raw!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a number from {low} to {high}, not {raw}")
        return value

    return parse


def _id_or_domain(raw: str) -> int | str:
    """An argparse type: a database id (ASCII digits, within a 64-bit key) or else a domain name."""
    if not (raw.isascii() and raw.isdigit()):
        return raw
    return whole_number(1, 2**63 - 1)(raw)


def cmd_serve(args: argparse.Namespace) -> int:
    # Embedded, the web server also runs the work it submits (an admin's refresh, alerts).
    setup_django(("database", "embedder", "email", "runner", *(("enrichers",) if _embedded() else ())))
    from django.conf import settings

    _listenable(args.host or settings.NEWSDESK.host, args.port or settings.NEWSDESK.port)  # before migrating
    migrate()
    return serve(args.host, args.port, args.processes)


def _embedded() -> bool:
    """Whether tasks run in this process (the in-process runner) rather than on workers."""
    from newsdesk.desk import config

    try:
        return config.current().task_runner == "inprocess"
    except config.ConfigError:
        return False  # django.setup() names the bad key next


def serve(host: str | None, port: int | None, processes: int | None = None) -> int:
    """Serve the web UI with waitress: threads in one process, or forked processes sharing one socket.

    Measured with ``bench/scale.py --wrk`` on 2 cores: on PostgreSQL two processes of 4 threads
    served the home page at 1009 req/s against 682 for one of 8 threads (Python runs on one core
    per process); on SQLite the two were level, so embedded keeps one process (and one writer).
    """
    from django.conf import settings
    from waitress import serve as waitress_serve

    from newsdesk.desk.wsgi import application

    host = host or settings.NEWSDESK.host
    port = port or settings.NEWSDESK.port
    if processes is None:
        processes = (os.cpu_count() or 1) if settings.NEWSDESK.database_url else 1
    _listenable(host, port)  # a bad host or a taken port ends here, before anything claims to run
    print(f"Newsdesk is at http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    try:
        if processes <= 1:
            waitress_serve(application, host=host, port=port, threads=8, _quiet=True)
        else:
            _serve_forked(application, host, port, processes)
    except (OSError, ValueError) as error:  # waitress says ValueError for a host it cannot use
        raise CommandError(
            f"cannot listen on {host}:{port}: {getattr(error, 'strerror', None) or error}"
        ) from None
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _serve_forked(application: Any, host: str, port: int, processes: int) -> None:
    """A prefork server: ``processes`` children of 4 threads accept on one socket.

    All children are forked at start. One that dies takes the others down and the server exits
    with status 1, for its supervisor (systemd's Restart=, compose's restart:) to start it again:
    forking anew from a parent that has run for a while could inherit a lock some library held.
    """
    import signal
    import socket

    from django.db import connections
    from waitress import serve as waitress_serve

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host.strip("[]"), port))
    listener.listen(1024)
    connections.close_all()  # each child opens its own
    children: set[int] = set()
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    # Signals wait until every child is forked and has its own handlers.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                waitress_serve(application, sockets=[listener], threads=4, _quiet=True)
            finally:
                os._exit(0)
        children.add(pid)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    failed = False
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            print(
                f"web process {pid} ended; stopping the others (the supervisor restarts the server)",
                file=sys.stderr,
            )
            failed = True
            stop()
    if failed:
        raise CommandError("a web process ended unexpectedly", code=EXIT_PARTIAL)


def cmd_add(args: argparse.Namespace) -> int:
    """Follow a feed, or the feed a page announces, and fetch it now."""
    setup_django(DB if args.no_fetch else _enriching(args))
    migrate()
    from newsdesk.news import jobs
    from newsdesk.pipeline.errors import PipelineError

    try:
        feed = jobs.subscribe(args.url)
    except (PipelineError, ValueError) as error:
        raise CommandError(f"cannot add {args.url}: {error}", code=EXIT_PARTIAL) from None
    report = None if args.no_fetch else jobs.refresh_feed(feed.pk)
    if report is not None and not args.no_enrich:
        enrich_now(quiet=args.json)

    if args.json:
        from newsdesk.api.records import feed_record

        feed.refresh_from_db()
        emit_json({**feed_record(feed), "new": report.new if report else 0})
    else:
        print(f"Following {feed.url} ({feed.source.name})")
        if report is not None:
            print(_report_line(report))
    return EXIT_OK if report is None or report.ok else EXIT_PARTIAL


def _report_line(report: Any) -> str:
    if report.error:
        state = "disabled" if report.disabled else "will retry"
        return f"{report.url}: FAILED ({state}): {report.error}"
    if report.not_modified:
        return f"{report.url}: not modified"
    return f"{report.url}: {report.new} new, {report.updated} updated, {report.unchanged} unchanged"


def cmd_fetch(args: argparse.Namespace) -> int:
    """One refresh pass over the due feeds (every active feed with --all)."""
    setup_django(_enriching(args))
    migrate()
    from django.utils import timezone

    from newsdesk.news import jobs
    from newsdesk.news.models import Feed

    if args.all:
        Feed.objects.filter(disabled_reason="").update(next_fetch_at=timezone.now())
    feeds = jobs.claim_due_feeds(limit=100_000)
    reports = [jobs.refresh_feed(feed.pk) for feed in tracked(feeds, "Fetching feeds", not args.json)]
    if not args.no_enrich:
        enrich_now(quiet=args.json)
    if args.json:
        emit_json(
            [
                {
                    "feed_id": r.feed_id,
                    "url": r.url,
                    "new": r.new,
                    "updated": r.updated,
                    "unchanged": r.unchanged,
                    "not_modified": r.not_modified,
                    "error": r.error or None,
                    "disabled": r.disabled,
                }
                for r in reports
            ]
        )
    else:
        for report in reports:
            print(_report_line(report))
        if not reports:
            print("No feed is due (use --all to fetch every feed now).")
    return EXIT_PARTIAL if any(r.error for r in reports) else EXIT_OK


def enrich_now(*, quiet: bool) -> None:
    """Enrich what a command just stored, and whatever an earlier run stored and left, here and now.

    The orchestrator decides what that is (``finish_pending``): it claims the waiting articles,
    so a worker or ``newsdesk up`` running beside this command never enriches the same ones, and
    places them in stories under the one story lease.
    """
    from newsdesk.news.enrichment import finish_pending

    report = finish_pending()
    if not quiet and (report.articles or report.placed):
        print(f"Enriched {report.articles} articles; placed {report.placed} in stories.", file=sys.stderr)


def cmd_feeds(args: argparse.Namespace) -> int:
    """List the feeds followed and their health; exit 1 when any is failing or disabled."""
    setup_django(DB)
    migrate()
    from newsdesk.api.records import feed_record
    from newsdesk.news.models import Feed

    feeds = list(Feed.objects.select_related("source").order_by("source__name", "url"))
    # A feed is disabled only by its own errors (permanent, or too many in a row): a failure too.
    failing = [feed for feed in feeds if feed.health in ("failing", "disabled")]
    if args.json:
        emit_json([feed_record(feed) for feed in feeds])
    else:
        for feed in feeds:
            problem = feed.disabled_reason or feed.last_error
            print(
                f"{feed.pk:>5}  {feed.health:<8}  {feed.source.name[:24]:<24}  {feed.url}"
                + (f"\n       {problem}" if problem else "")
            )
    if failing:
        err(f"{len(failing)} of {len(feeds)} feeds are failing or disabled")
    return EXIT_PARTIAL if failing else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import OPML files, saved feeds, saved pages and WARC archives.

    Exits 1 when any file failed or was imported in part (a record skipped, a truncated tail),
    each skipped part named; what could be read stays imported.
    """
    setup_django(_enriching(args))
    migrate()
    from newsdesk.news.importer import import_path

    failed = False
    for raw in tracked(args.paths, "Importing", not args.json):
        report = import_path(Path(raw), fetch_pages=not args.no_fetch_pages)
        failed = failed or not report.ok
        if args.json:
            emit_json(
                {
                    "input": raw,
                    "kind": report.kind,
                    "feeds": report.feeds,
                    "new": report.articles_new,
                    "updated": report.articles_updated,
                    "errors": report.failures,
                    "skipped": report.skipped,
                }
            )
            continue
        summary = (
            f"{raw} ({report.kind or 'unreadable'}): {report.feeds} feeds, {report.articles_new} new articles"
        )
        summary += f", {report.articles_updated} updated" if report.articles_updated else ""
        summary += f", {len(report.skipped)} parts skipped" if report.skipped else ""
        print(summary)
        problems = [f"  ! {failure}" for failure in report.failures]
        problems += [f"  ! skipped {part}" for part in report.skipped]
        for line in problems[:SHOWN_PROBLEMS]:
            print(line)
        if len(problems) > SHOWN_PROBLEMS:
            print(f"  ! ... and {len(problems) - SHOWN_PROBLEMS} more (--json lists them all)")
    if not args.no_enrich:
        enrich_now(quiet=args.json)
    return EXIT_PARTIAL if failed else EXIT_OK


SHOWN_PROBLEMS = 20  # per imported file; --json has every one


def cmd_export_opml(args: argparse.Namespace) -> int:
    setup_django(DB)
    migrate()
    from newsdesk.news.importer import opml_of_all_feeds

    document = opml_of_all_feeds()
    if args.output and args.output != "-":
        Path(args.output).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    return EXIT_OK


def cmd_extract(args: argparse.Namespace) -> int:
    """Extract each page (file or URL) and print one JSON object per line; needs no database."""
    from newsdesk.desk import config
    from newsdesk.pipeline.errors import PipelineError
    from newsdesk.pipeline.extract import extract

    failed = False
    fetcher = None
    for raw in args.inputs:
        try:
            url = _as_url(raw)
            if url is not None:
                fetcher = fetcher or _standalone_fetcher(config)
                result = fetcher.fetch(url)
                page = extract(result.content, result.url, charset=result.charset)
            else:
                content = sys.stdin.buffer.read() if raw == "-" else Path(raw).read_bytes()
                page = extract(content, None)
            record = {
                "input": raw,
                "url": page.canonical_url or page.url,
                "title": page.title,
                "byline": page.byline,
                "published_at": page.published_at.isoformat() if page.published_at else None,
                "language": page.language,
                "text": page.text,
            }
            if not args.json:
                print(f"# {page.title or raw}\n\n{page.text}\n")
                continue
        except (OSError, PipelineError) as error:
            failed = True
            record = {"input": raw, "error": str(getattr(error, "strerror", None) or error)}
            err(f"{raw}: {record['error']}")
        if args.json:
            emit_json(record)
    return EXIT_PARTIAL if failed else EXIT_OK


def _as_url(raw: str) -> str | None:
    """``raw`` as an http(s) URL with its scheme in lower case (``HTTP://`` is one too), else None."""
    scheme, sep, rest = raw.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        return f"{scheme.lower()}://{rest}"
    return None


def _standalone_fetcher(config: Any) -> Any:
    from newsdesk.pipeline.fetch import Fetcher

    try:
        return Fetcher(config.fetch_policy(config.current()))
    except config.ConfigError as error:
        raise CommandError(f"bad setting: {error}") from None


def cmd_articles(args: argparse.Namespace) -> int:
    """The latest articles, newest first."""
    setup_django(DB)
    migrate()
    from newsdesk.api.records import article_record
    from newsdesk.news.models import Article

    # The CLI's records carry the full text (the API's lists carry excerpts): no columns deferred.
    articles = Article.objects.listing().defer(None)
    if isinstance(args.source, int):
        articles = articles.filter(source_id=args.source)
    elif args.source:
        articles = articles.filter(source__domain=args.source)
    selected = list(articles[: args.limit])
    if args.json:
        emit_json([article_record(a) for a in selected])
        return EXIT_OK
    for article in selected:
        when = article.sort_at.strftime("%Y-%m-%d %H:%M")
        flag = " [DEVELOPING]" if article.developing else ""
        print(f"{article.pk:>6}  {when}  {article.source.name[:20]:<20}  {article.title}{flag}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    """Enrich articles given as files (plain text or HTML; - for stdin): one JSON object per input."""
    from newsdesk.analysis import analyze_inputs

    standalone_settings(("enrichers",))
    failed = False
    for record in analyze_inputs(args.inputs, batch_size=args.batch_size, progress=not args.json):
        failed = failed or "error" in record
        if "error" in record:
            err(f"{record['input']}: {record['error']}")
        if args.json:
            emit_json(record)
        elif "error" not in record:
            print(f"# {record['input']}\n  hashtags: {' '.join('#' + t for t in record['hashtags'])}")
            print(f"  summary: {record['summary']}")
            for label, key in (("quote", "quotes"), ("reported", "reported")):
                for quote in record[key]:
                    who = quote["speaker"] or quote["speaker_description"] or "?"
                    print(f"  {label}: {who}: {quote['text'][:100]}")
    return EXIT_PARTIAL if failed else EXIT_OK


def cmd_cluster(args: argparse.Namespace) -> int:
    """Group articles (JSON lines: id, title, text, published_at, source) into stories, in time order."""
    from newsdesk.analysis import cluster_jsonl

    standalone_settings(("embedder",))
    try:
        labels = cluster_jsonl(Path(args.path) if args.path != "-" else None)
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot cluster {args.path}: {error}", code=EXIT_PARTIAL) from None
    if args.json:
        emit_json(labels)
    else:
        for item_id, story in labels.items():
            print(f"{item_id}\t{story}")
    return EXIT_OK


def cmd_reenrich(args: argparse.Namespace) -> int:
    """Enrich again the articles whose enrichment is missing or was made by older enricher versions."""
    setup_django(ENRICHING)
    migrate()
    from newsdesk.dates import parse_moment
    from newsdesk.news.enrichment import enrich_articles, pending_articles

    try:
        since = parse_moment(args.since) if args.since else None
    except ValueError as error:
        raise CommandError(f"--since: {error}") from None
    ids = list(pending_articles(since, stale=True).values_list("id", flat=True))
    enrich_articles(ids)
    if args.json:
        emit_json({"enriched": len(ids)})
    else:
        print(f"Enriched {len(ids)} articles.")
    return EXIT_OK


def require_migrated() -> None:
    """Stop with a CommandError unless the database is reachable and fully migrated.

    Workers and schedulers never migrate: one ``newsdesk serve`` (or ``manage migrate``) does,
    so several starting at once never race over the schema.
    """
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        raise CommandError(f"cannot reach the database: {error}") from None
    finally:
        connections.close_all()
    if plan:
        raise CommandError(
            f"the database lacks {len(plan)} migrations (first: {plan[0][0].app_label}.{plan[0][0].name}); "
            "run `newsdesk manage migrate` (or start `newsdesk serve`) first"
        )


def cmd_worker(args: argparse.Namespace) -> int:
    """Run tasks from the broker's queues (NEWSDESK_BROKER_URL) until stopped."""
    queues = set(_list(args.queues))
    # Each queue's work needs its own settings sound: enrich runs the enrichers, stories the
    # embedder, default sends mail; fetch only stores (and submits enrichment to the broker).
    setup_django(
        (
            "database",
            *(("enrichers",) if "enrich" in queues else ()),
            *(("embedder",) if "stories" in queues else ()),
            *(("email",) if "default" in queues else ()),
        )
    )
    from django.conf import settings

    if not settings.NEWSDESK.broker_url:
        raise CommandError("newsdesk worker needs NEWSDESK_BROKER_URL (redis://host:6379/0 or amqp://host//)")
    try:
        from newsdesk.runtime.celery import CeleryRunner, app, worker_argv
    except ImportError as error:
        raise CommandError(f"Celery is not installed ({error}): pip install 'newsdesk[celery]'") from None
    from newsdesk.runtime.dispatch import use_runner

    try:
        argv = worker_argv(
            _list(args.queues),
            concurrency=args.concurrency,
            pool=args.pool,
            loglevel=settings.NEWSDESK.log_level,
        )
    except ValueError as error:
        raise CommandError(f"--queues: {error}") from None
    require_migrated()
    use_runner(CeleryRunner(app))  # what a task submits (enrichment after a refresh) goes to the broker too
    code = app.start(argv)
    return int(code or EXIT_OK)


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run the apps' ticks (claim due feeds, submit waiting work) every few seconds until stopped.

    Several may run at once: the ticks claim what they submit, so no work is submitted twice.
    With the in-process runner the work itself runs here too, so its settings are checked.
    """
    setup_django(("database", "runner", *(("enrichers", "embedder", "email") if _embedded() else ())))
    import signal
    import threading

    from django.conf import settings

    from newsdesk.runtime.dispatch import use_runner
    from newsdesk.runtime.runners import make_runner
    from newsdesk.runtime.scheduler import tick

    require_migrated()
    try:
        runner = make_runner()
    except (KeyError, ImportError) as error:
        raise CommandError(str(error)) from None
    use_runner(runner)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    interval = args.interval or settings.NEWSDESK.scheduler_seconds
    if not args.once:
        print(
            f"Scheduler: ticks every {interval} s to the {runner.name} runner (Ctrl-C stops it)",
            file=sys.stderr,
        )
    try:
        while not stop.is_set():
            tick(runner)
            if args.once:
                break
            stop.wait(interval)
    finally:
        runner.shutdown(wait=True)
    return EXIT_OK


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def cmd_createadmin(args: argparse.Namespace) -> int:
    """Make the first admin account (asks for what the flags do not give)."""
    setup_django(DB)
    migrate()
    from django.core.management import call_command
    from django.core.management.base import CommandError as DjangoCommandError

    options: dict[str, Any] = {}
    if args.username:
        options["username"] = args.username
    if args.email:
        options["email"] = args.email
    if args.password_from_env:
        options["password_from_env"] = args.password_from_env
    if args.no_input:
        options["interactive"] = False
    try:
        call_command("createadmin", **options)
    except DjangoCommandError as error:
        raise CommandError(str(error)) from None
    return EXIT_OK


def cmd_manage(args: argparse.Namespace) -> int:
    """Run a Django management command (createsuperuser, shell, ...)."""
    setup_django(DB)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["newsdesk manage", *args.rest])
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Check every setting and what it names (database, plugins, models, mail); report every problem."""
    from newsdesk.desk import config, startup

    values, bad = config.read()
    problems = [f"bad setting: {error}" for error in bad]
    skip = {key for error in bad for key in error.keys}
    problems += [f"bad setting: {problem}" for problem in startup.check(values, skip=skip)]
    if args.json:
        emit_json({"ok": not problems, "problems": problems})
    elif problems:
        for problem in problems:
            err(problem)
    else:
        print("all settings good")
    return EXIT_USAGE if problems else EXIT_OK


# ---------------------------------------------------------------------------------------------
# Parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdesk", description="A self-hosted news desk.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="migrate, start the scheduler, task runner and web server")
    _host_port(up)
    up.add_argument("--no-default-feeds", action="store_true", help="do not subscribe the default feeds")
    up.set_defaults(func=cmd_up)

    serve_cmd = commands.add_parser("serve", help="start only the web server")
    _host_port(serve_cmd)
    serve_cmd.add_argument(
        "--processes",
        type=whole_number(1, 1024),
        default=None,
        help="web processes sharing the port (default: one per core on PostgreSQL, one on SQLite)",
    )
    serve_cmd.set_defaults(func=cmd_serve)

    add = commands.add_parser("add", help="follow a feed, or the feed a page announces")
    add.add_argument("url")
    add.add_argument("--no-fetch", action="store_true", help="subscribe only; fetch later")
    add.add_argument("--json", action="store_true")
    add.add_argument("--no-enrich", action="store_true", help="store only; the runner enriches later")
    add.set_defaults(func=cmd_add)

    imp = commands.add_parser("import", help="import OPML, feed files, saved HTML pages, WARC files")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument(
        "--no-fetch-pages", action="store_true", help="keep feed items' own text; fetch no pages"
    )
    imp.add_argument("--json", action="store_true")
    imp.add_argument("--no-enrich", action="store_true", help="store only; the runner enriches later")

    imp.set_defaults(func=cmd_import)

    export = commands.add_parser("export-opml", help="write the feeds followed as OPML")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export_opml)

    fetch = commands.add_parser("fetch", help="one refresh pass of the due feeds now")
    fetch.add_argument("--all", action="store_true", help="refresh every active feed, due or not")
    fetch.add_argument("--json", action="store_true")
    fetch.add_argument("--no-enrich", action="store_true", help="store only; the runner enriches later")
    fetch.set_defaults(func=cmd_fetch)

    feeds = commands.add_parser("feeds", help="list feeds and their health")
    feeds.add_argument("--json", action="store_true")
    feeds.set_defaults(func=cmd_feeds)

    ext = commands.add_parser("extract", help="extract article text from files or URLs")
    ext.add_argument("inputs", nargs="+", metavar="FILE_OR_URL", help="- reads standard input")
    ext.add_argument("--json", action="store_true", help="one JSON object per input, one per line")
    ext.set_defaults(func=cmd_extract)

    arts = commands.add_parser("articles", help="the latest articles, newest first")
    arts.add_argument("--json", action="store_true")
    arts.add_argument("--limit", type=whole_number(1, 1_000_000), default=50, help="how many (default 50)")
    arts.add_argument("--source", type=_id_or_domain, help="an outlet's id or domain")
    arts.set_defaults(func=cmd_articles)

    analyze = commands.add_parser(
        "analyze", help="hashtags, entities, places, quotes, summary of article files"
    )
    analyze.add_argument(
        "inputs", nargs="+", metavar="FILE", help="plain text or HTML; - reads standard input"
    )
    analyze.add_argument("--json", action="store_true", help="one JSON object per input, one per line")
    analyze.add_argument("--batch-size", type=whole_number(1, 10_000), default=32)
    analyze.set_defaults(func=cmd_analyze)

    cluster = commands.add_parser("cluster", help="group articles of a JSON-lines file into stories")
    cluster.add_argument("path", metavar="FILE.jsonl", help="- reads standard input")
    cluster.add_argument("--json", action="store_true")
    cluster.set_defaults(func=cmd_cluster)

    reenrich = commands.add_parser("reenrich", help="enrich again what older enricher versions made")
    reenrich.add_argument("--since", help="only articles published since this ISO time")
    reenrich.add_argument("--json", action="store_true")
    reenrich.set_defaults(func=cmd_reenrich)

    worker = commands.add_parser("worker", help="run tasks from the broker (NEWSDESK_BROKER_URL)")
    worker.add_argument(
        "--queues",
        default="fetch,enrich,stories,default",
        help="comma-separated queues to take tasks from (default: all of fetch,enrich,stories,default)",
    )
    worker.add_argument(
        "--concurrency",
        type=whole_number(1, 1024),
        help="tasks at once (default: one per core with enrich, 1 for stories alone, else 16)",
    )
    worker.add_argument(
        "--pool",
        choices=["prefork", "threads", "solo"],
        help="processes, threads or one task at a time (default: processes with enrich, one for stories, else threads)",
    )
    worker.set_defaults(func=cmd_worker)

    scheduler = commands.add_parser(
        "scheduler", help="claim due feeds and submit waiting work, every few seconds"
    )
    scheduler.add_argument(
        "--interval",
        type=whole_number(1, 86_400),
        help="seconds between ticks (default NEWSDESK_SCHEDULER_SECONDS)",
    )
    scheduler.add_argument("--once", action="store_true", help="tick once and exit (for cron)")
    scheduler.set_defaults(func=cmd_scheduler)

    admin = commands.add_parser("createadmin", help="make the first admin account")
    admin.add_argument("--username")
    admin.add_argument("--email")
    admin.add_argument("--password-from-env", metavar="NAME", help="read the password from this variable")
    admin.add_argument("--no-input", action="store_true", help="fail instead of asking")
    admin.set_defaults(func=cmd_createadmin)

    check = commands.add_parser(
        "check", help="check every setting and what it names; exit 2 naming each problem"
    )
    check.add_argument("--json", action="store_true", help='{"ok": ..., "problems": [...]}')
    check.set_defaults(func=cmd_check)

    manage = commands.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    # Commands kept beside the code they drive: each module's register(commands) adds its parsers
    # (cheap to import: no Django until a command runs).
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


#: Modules that add commands of their own (see build_parser).
COMMAND_MODULES = (
    "newsdesk.search.commands",  # search
    "newsdesk.readers.commands",  # user, token
    "newsdesk.exports.commands",  # export
    "newsdesk.ai.commands",  # ask, brief, translate
)


def _host_port(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1, NEWSDESK_HOST)")
    parser.add_argument("--port", type=_port, help="port to listen on (default 8000, NEWSDESK_PORT)")


def _version() -> str:
    from newsdesk import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as error:
        for line in str(error).splitlines():
            err(line)
        return error.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
