"""Commands of this package for the newsdesk CLI (registered by newsdesk.cli.build_parser).

``newsdesk export articles --since ... [--until ...] --format jsonl|parquet -o FILE`` (the research
export, streamed, with a progress bar on stderr), ``newsdesk export stories --since ... -o FILE`` (stories with their sourcing views, JSON Lines),
``newsdesk export reader USER -o FILE`` (a
reader's data as JSON) and ``newsdesk import-reader USER FILE`` (merged back; a bad file changes
nothing and exits 2). ``export-opml`` stays the core CLI's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    """Add ``export`` (articles, reader) and ``import-reader`` to the CLI's subparsers."""
    export = commands.add_parser("export", help="export articles for research, or a reader's data")
    what = export.add_subparsers(dest="what", required=True, metavar="WHAT")

    articles = what.add_parser("articles", help="articles with their enrichment as JSON Lines or Parquet")
    articles.add_argument("--since", required=True, help="from this ISO date or time (inclusive)")
    articles.add_argument("--until", help="to this ISO date or time (exclusive; default: now)")
    articles.add_argument("--format", choices=["jsonl", "parquet"], help="default: from the file's suffix")
    articles.add_argument(
        "-o", "--output", required=True, help="file to write (- for standard output, JSON Lines)"
    )
    articles.add_argument("--no-text", action="store_true", help="leave the article text out")
    articles.set_defaults(func=cmd_export_articles)

    stories = what.add_parser(
        "stories", help="stories with their statements, copy chains, reliance and framing as JSON Lines"
    )
    stories.add_argument(
        "--since", required=True, help="stories begun from this ISO date or time (inclusive)"
    )
    stories.add_argument("--until", help="to this ISO date or time (exclusive; default: now)")
    stories.add_argument(
        "-o", "--output", required=True, help="file to write (.gz compresses; - for standard output)"
    )
    stories.set_defaults(func=cmd_export_stories)

    reader = what.add_parser("reader", help="a reader's subscriptions, follows, saved, comments... as JSON")
    reader.add_argument("username")
    reader.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    reader.set_defaults(func=cmd_export_reader)

    back = commands.add_parser(
        "import-reader", help="merge a reader data file (newsdesk export reader) into a reader"
    )
    back.add_argument("username")
    back.add_argument("path", metavar="FILE", help="- reads standard input")
    back.add_argument("--json", action="store_true", help="the report as JSON")
    back.set_defaults(func=cmd_import_reader)


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    name = args.output.lower()
    return "parquet" if name.endswith((".parquet", ".pq")) else "jsonl"


def _range(args: argparse.Namespace) -> tuple[datetime, datetime | None]:
    from newsdesk.cli import CommandError
    from newsdesk.dates import parse_moment

    try:
        since = parse_moment(args.since)
        until = parse_moment(args.until) if args.until else None
    except ValueError as error:
        raise CommandError(f"--since/--until: {error}") from None
    if until is not None and until <= since:
        raise CommandError("--until must be later than --since")
    return since, until


def cmd_export_articles(args: argparse.Namespace) -> int:
    from newsdesk.cli import DB, EXIT_OK, CommandError, migrate, setup_django

    since, until = _range(args)
    fmt = _format_of(args)
    if fmt == "parquet" and args.output == "-":
        raise CommandError("a Parquet export needs a file: -o FILE.parquet")
    setup_django(DB)
    migrate()
    from newsdesk.exports.articles import export_articles, in_range

    total = in_range(since, until).count()
    with progress_bar(f"exporting {total} articles", total) as advance:
        try:
            written = export_articles(args.output, fmt, since, until, text=not args.no_text, advance=advance)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror or error}", code=1) from None
    if args.output != "-":
        print(f"Wrote {written.articles} articles to {written.path} ({fmt}).", file=sys.stderr)
    return EXIT_OK


def cmd_export_stories(args: argparse.Namespace) -> int:
    from newsdesk.cli import DB, EXIT_OK, CommandError, migrate, setup_django

    since, until = _range(args)
    setup_django(DB)
    migrate()
    from newsdesk.exports.stories import export_stories, in_range

    total = in_range(since, until).count()
    with progress_bar(f"exporting {total} stories", total) as advance:
        try:
            written = export_stories(args.output, since, until, advance=advance)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror or error}", code=1) from None
    if args.output != "-":
        print(f"Wrote {written.articles} stories to {written.path} (jsonl).", file=sys.stderr)
    return EXIT_OK


@contextmanager
def progress_bar(description: str, total: int, console: Any = None) -> Iterator[Callable[[], None]]:
    """A rich progress bar on standard error (never standard output, which may carry the export),
    drawn only when that is a terminal; yields the function that advances it by one."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = console or Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def _reader(username: str) -> Any:
    from newsdesk.readers.commands import _user  # the account, or a CommandError naming it

    return _user(username)


def cmd_export_reader(args: argparse.Namespace) -> int:
    import json

    from newsdesk.cli import DB, EXIT_OK, migrate, setup_django

    setup_django(DB)
    migrate()
    from newsdesk.exports.reader import export_reader

    document = json.dumps(export_reader(_reader(args.username)), ensure_ascii=False, indent=1)
    if args.output == "-":
        sys.stdout.write(document + "\n")
    else:
        Path(args.output).write_text(document + "\n", encoding="utf-8")
    return EXIT_OK


def cmd_import_reader(args: argparse.Namespace) -> int:
    from newsdesk.cli import DB, EXIT_OK, CommandError, emit_json, migrate, setup_django

    setup_django(DB)
    migrate()
    from newsdesk.exports.reader import MAX_BYTES, BadFile, import_reader

    user = _reader(args.username)
    try:
        source = sys.stdin.buffer if args.path == "-" else open(args.path, "rb")  # noqa: SIM115
        with source:
            content = source.read(MAX_BYTES + 1)
    except OSError as error:
        raise CommandError(f"cannot read {args.path}: {error.strerror or error}") from None
    try:
        report = import_reader(user, content)
    except BadFile as error:
        raise CommandError(f"{args.path}: {error}; nothing was imported") from None
    if args.json:
        emit_json(report.as_dict())
    else:
        for line in report.lines():
            print(line)
    return EXIT_OK
