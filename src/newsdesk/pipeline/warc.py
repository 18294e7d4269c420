"""Read HTML pages out of WARC archives (.warc and .warc.gz, as Common Crawl News ships them)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsdesk.pipeline.errors import PipelineError

__all__ = ["HTML_CONTENT_TYPES", "MAX_PAGE_BYTES", "WarcPage", "iter_warc_pages"]

log = logging.getLogger(__name__)

HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Common Crawl truncates payloads at 1 MiB; anything far larger is not an article page.
MAX_PAGE_BYTES = 16 * 1024 * 1024


@dataclass
class WarcPage:
    """One archived HTML response: its URL, body (decoded from any transfer/content encoding) and metadata."""

    url: str
    content: bytes
    content_type: str | None
    charset: str | None
    fetched_at: datetime | None
    status: int


def iter_warc_pages(path: str | Path, *, max_bytes: int = MAX_PAGE_BYTES) -> Iterator[WarcPage]:
    """Yield each HTML ``response`` record with HTTP status 200 from the WARC file at ``path``.

    Other records are passed over; a broken record, or one over ``max_bytes``, is skipped with a
    warning. Raises PipelineError (permanent) when the file cannot be opened or is not a WARC.
    """
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise PipelineError(f"cannot open WARC file {path}: {exc}", permanent=True) from exc
    with stream:
        yield from _iter_pages(stream, path, max_bytes)


def _iter_pages(stream: BinaryIO, path: Path, max_bytes: int) -> Iterator[WarcPage]:
    """Walk the records of an open archive; raises PipelineError if its first record is unreadable."""
    records = iter(ArchiveIterator(stream))
    seen = 0
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except (ArchiveLoadFailed, ValueError, OSError, EOFError) as exc:
            if seen == 0:
                raise PipelineError(f"{path} is not a readable WARC file: {exc}", permanent=True) from exc
            # The archive cannot be resynchronised past a broken record header: keep what was read.
            log.warning(
                "%s: stopped after %d records at an unreadable record: %s", path, seen, str(exc).strip()
            )
            break
        if seen == 0 and record.format != "warc":
            # warcio reads anything with a space-separated first line as an ARC header.
            raise PipelineError(f"{path} is not a WARC file (format: {record.format})", permanent=True)
        seen += 1
        page = _page_or_none(record, path, max_bytes)
        if page is not None:
            yield page
    if seen == 0:
        raise PipelineError(f"{path} is not a WARC file: it holds no records", permanent=True)


def _page_or_none(record: Any, path: Path, max_bytes: int) -> WarcPage | None:
    """Return the page a record holds, or None for records that are not 200 HTML responses."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    try:
        return _read_page(record, url, max_bytes)
    # warcio and its decompressors (zlib, brotli) raise many kinds of errors on a damaged
    # payload; one record must never stop the archive.
    except Exception as exc:
        log.warning("%s: skipped the record for %s: %s", path, url or "(no URL)", exc)
        return None


def _read_page(record: Any, url: str, max_bytes: int) -> WarcPage | None:
    """Build a WarcPage from a response record; raises ValueError for a record too large to keep."""
    status = _parse_status(record.http_headers)
    content_type, charset = _parse_content_type(record.http_headers.get_header("Content-Type"))
    if status != 200 or content_type not in HTML_CONTENT_TYPES:
        return None
    if not url:
        raise ValueError("response record without WARC-Target-URI")
    content = record.content_stream().read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ValueError(f"payload larger than {max_bytes} bytes")
    fetched_at = _parse_warc_date(record.rec_headers.get_header("WARC-Date"))
    return WarcPage(url, content, content_type, charset, fetched_at, status)


def _parse_status(http_headers: Any) -> int:
    """Return the HTTP status code of a response; raises ValueError for a malformed status line."""
    code = http_headers.get_statuscode()
    if not code or not code.isdigit():
        raise ValueError(f"bad HTTP status line {http_headers.statusline!r}")
    return int(code)


def _parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """Split ``text/html; charset=UTF-8`` into (``text/html``, ``utf-8``)."""
    if not header:
        return None, None
    media_type, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'").lower()
    return media_type.strip().lower() or None, charset


def _parse_warc_date(value: str | None) -> datetime | None:
    """Parse a WARC-Date (ISO 8601, UTC) into an aware datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
