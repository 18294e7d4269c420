"""Importing files: OPML subscriptions, saved feeds, saved HTML pages and WARC archives."""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.news import jobs
from newsdesk.news.models import Feed
from newsdesk.news.store import source_for_url
from newsdesk.pipeline.errors import FeedError, PipelineError
from newsdesk.pipeline.feeds import looks_like_html, parse_feed
from newsdesk.pipeline.fetch import Fetcher
from newsdesk.pipeline.opml import OpmlOutline, export_opml, parse_opml
from newsdesk.pipeline.warc import iter_warc_pages

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What importing one file did.

    ``failures`` are what could not be imported (a feed URL refused, a page that would not
    store, an unreadable file); ``skipped`` the parts of the file that could not be read (a
    damaged or truncated WARC record, a truncated tail), each named, whatever else was imported.
    """

    path: str
    kind: str = ""
    feeds: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the whole file was imported: nothing failed, nothing was skipped."""
        return not self.failures and not self.skipped


def sniff_kind(path: Path, head: bytes) -> str:
    """Say what a file holds: "opml", "warc", "feed" or "html"."""
    name = path.name.lower()
    if name.endswith((".warc", ".warc.gz")) or head.startswith(b"WARC/"):
        return "warc"
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as handle:
            inner = handle.read(64)
        return "warc" if inner.startswith(b"WARC/") else "unknown"
    lowered = head[:2048].lower()
    if name.endswith(".opml") or b"<opml" in lowered:
        return "opml"
    if looks_like_html(head):
        return "html"
    return "feed"


def import_path(path: Path, *, fetch_pages: bool = True, fetcher: Fetcher | None = None) -> ImportReport:
    """Import one file of any supported kind; never raises for bad content (see the report)."""
    report = ImportReport(path=str(path))
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
        report.kind = sniff_kind(path, head)
        if report.kind == "warc":
            _import_warc(path, report)
        elif report.kind == "unknown":
            report.failures.append("a compressed file that is not a WARC archive")
        else:
            content = path.read_bytes()
            if report.kind == "opml":
                _import_opml(content, report)
            elif report.kind == "html":
                _import_page(content, report)
            else:
                _import_feed(content, path, report, fetch_pages, fetcher)
    except OSError as error:
        report.failures.append(f"cannot read the file: {error.strerror or error}")
    except PipelineError as error:
        report.failures.append(str(error))
    return report


def _import_opml(content: bytes, report: ImportReport) -> None:
    for outline in parse_opml(content):
        try:
            jobs.add_feed_url(outline.xml_url, title=outline.title or "", site=outline.html_url)
            report.feeds += 1
        except ValueError as error:
            report.failures.append(f"{outline.xml_url}: {error}")


def _import_page(
    content: bytes, report: ImportReport, url: str | None = None, charset: str | None = None
) -> None:
    result = jobs.ingest_page(url, content=content, charset=charset)
    if result.created:
        report.articles_new += 1
    elif result.changed:
        report.articles_updated += 1


def _import_warc(path: Path, report: ImportReport) -> None:
    pages = iter_warc_pages(path)
    try:
        for page in pages:
            try:
                _import_page(page.content, report, url=page.url, charset=page.charset)
            except PipelineError as error:
                report.failures.append(f"{page.url}: {error}")
    finally:
        # Also when the archive turned out unreadable part way: what was read stays imported.
        report.skipped.extend(str(part) for part in pages.skipped)


def _import_feed(
    content: bytes, path: Path, report: ImportReport, fetch_pages: bool, fetcher: Fetcher | None
) -> None:
    parsed = parse_feed(content, path.resolve().as_uri())
    if not parsed.link:
        raise FeedError("the feed names no website (no channel link), so its outlet is unknown")
    refresh = jobs.RefreshReport(feed_id=0, url=str(path))
    source = source_for_url(parsed.link, fallback_name=parsed.title or None)
    jobs.ingest_items(
        parsed.items,
        source=source,
        feed=None,
        fetcher=fetcher or jobs.get_fetcher(),
        fetch_pages=fetch_pages,
        report=refresh,
        language=parsed.language or "",
    )
    report.articles_new += refresh.new
    report.articles_updated += refresh.updated
    report.failures.extend(w for w in refresh.warnings if w.startswith("page "))


def opml_of_all_feeds() -> str:
    """OPML 2.0 of every feed followed, grouped by outlet."""
    outlines = [
        OpmlOutline(
            xml_url=feed.url,
            title=feed.title or feed.source.name,
            html_url=feed.source.homepage or None,
            category=feed.source.name,
        )
        for feed in Feed.objects.select_related("source").order_by("source__name", "url")
    ]
    return export_opml(outlines)
