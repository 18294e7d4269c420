"""``newsdesk search QUERY``: full-text (and semantic) search from the command line.

Takes the search page's language and filters (see newsdesk.search.params); prints the hits, best
first (or newest first), or with ``--json`` one object: the hits as API records with their score
and highlighted snippet, and ``next_cursor`` for ``--cursor``. A bad filter exits 2 naming it.
"""

from __future__ import annotations

import argparse
from typing import Any

FILTERS = ("source", "tag", "entity", "language", "since", "until", "story")


def register(commands: Any) -> None:
    """Add ``search`` to the CLI's subparsers."""
    search = commands.add_parser(
        "search", help='search articles: words, "phrases", prefix*, -exclusions, with filters'
    )
    search.add_argument("query", help='e.g. harbour "carbon tax" elect* -opinion')
    search.add_argument("--source", help="an outlet's id or domain")
    search.add_argument("--tag", help="a hashtag's slug")
    search.add_argument("--entity", help="a person's, organisation's or place's id")
    search.add_argument("--language", help="a language code (en, fr, pt-br)")
    search.add_argument("--since", help="from this ISO date or time")
    search.add_argument("--until", help="to this ISO date or time (a date: through that day)")
    search.add_argument("--story", help="a story's id")
    search.add_argument("--sort", choices=["relevance", "newest"], default="relevance")
    search.add_argument(
        "--mode", choices=["text", "vector", "hybrid"], default="text", help="words, meaning, or both"
    )
    search.add_argument("--limit", type=int, default=20, help="hits to print (1-100)")
    search.add_argument("--cursor", help="the next_cursor of a previous --json answer")
    search.add_argument("--json", action="store_true", help="one JSON object with the hits")
    search.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from newsdesk.cli import DB, EXIT_OK, CommandError, emit_json, migrate, setup_django

    setup_django(DB)
    migrate()
    from newsdesk.search.engine import SearchError
    from newsdesk.search.params import SearchParams
    from newsdesk.search.records import results_record

    given = {key: getattr(args, key) for key in FILTERS if getattr(args, key)}
    try:
        params = SearchParams.from_query({"q": args.query, "sort": args.sort, "mode": args.mode, **given})
        results = params.run(cursor=args.cursor, limit=args.limit)
    except SearchError as problem:
        raise CommandError(str(problem)) from None
    if args.json:
        emit_json(results_record(results))
        return EXIT_OK
    for hit in results.hits:
        article = hit.article
        assert article is not None
        when = article.sort_at.strftime("%Y-%m-%d %H:%M")
        print(f"{article.pk:>6}  {when}  {article.source.name[:20]:<20}  {article.title}")
    if results.next_cursor:
        print(f"more: --cursor {results.next_cursor}")
    return EXIT_OK
