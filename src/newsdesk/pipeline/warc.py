"""Read HTML pages out of WARC archives (.warc and .warc.gz, as Common Crawl News ships them)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator

from newsdesk.pipeline.errors import PipelineError

__all__ = ["HTML_CONTENT_TYPES", "MAX_PAGE_BYTES", "SkippedPart", "WarcPage", "WarcPages", "iter_warc_pages"]

log = logging.getLogger(__name__)

HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Common Crawl truncates payloads at 1 MiB; anything far larger is not an article page.
MAX_PAGE_BYTES = 16 * 1024 * 1024
# Past the last record, more than this many bytes (or any that are not blank lines) is a lost tail.
TAIL_LOOK = 64 * 1024


@dataclass
class WarcPage:
    """One archived HTML response: its URL, body (decoded from any transfer/content encoding) and metadata."""

    url: str
    content: bytes
    content_type: str | None
    charset: str | None
    fetched_at: datetime | None
    status: int


@dataclass(frozen=True)
class SkippedPart:
    """A part of an archive that was not read: a record (its URL when known) or the file's tail."""

    what: str  # "the record for https://...", "the tail"
    offset: int | None  # where it starts in the file, bytes
    reason: str

    def __str__(self) -> str:
        where = f" at byte {self.offset}" if self.offset is not None else ""
        return f"{self.what}{where}: {self.reason}"


class WarcPages:
    """The HTML pages of one WARC file, read as they are iterated (see ``iter_warc_pages``).

    ``skipped`` lists, once iterated, every part that held or may have held a page and was not
    read: a damaged record, one over the size cap, a record cut short, an unreadable tail.
    ``complete`` is True when nothing was skipped.
    """

    def __init__(self, path: str | Path, max_bytes: int = MAX_PAGE_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.skipped: list[SkippedPart] = []

    @property
    def complete(self) -> bool:
        return not self.skipped

    def __iter__(self) -> Iterator[WarcPage]:
        self.skipped = []
        try:
            stream = self.path.open("rb")
        except OSError as exc:
            raise PipelineError(f"cannot open WARC file {self.path}: {exc}", permanent=True) from exc
        with stream:
            yield from self._pages(stream)

    def _skip(self, what: str, offset: int | None, reason: str) -> None:
        part = SkippedPart(what, offset, reason)
        log.warning("%s: skipped %s", self.path, part)
        self.skipped.append(part)

    def _pages(self, stream: BinaryIO) -> Iterator[WarcPage]:
        """Walk the records of an open archive; raises PipelineError if its first record is unreadable."""
        records = ArchiveIterator(stream)
        seen = 0
        end = 0  # where the last record read ends in the file
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            # warcio raises many kinds of errors on a damaged header (an AttributeError on one cut
            # in the middle); past the first record they all mean the same: stop here, keep the rest.
            except Exception as exc:
                why = _header_trouble(exc)
                if seen == 0:
                    raise PipelineError(
                        f"{self.path} is not a readable WARC file: {why}", permanent=True
                    ) from exc
                # The archive cannot be resynchronised past a broken record header.
                self._skip(f"the tail after record {seen}", end, f"unreadable record: {why}")
                return
            if seen == 0 and record.format != "warc":
                # warcio reads anything with a space-separated first line as an ARC header.
                raise PipelineError(
                    f"{self.path} is not a WARC file (format: {record.format})", permanent=True
                )
            seen += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            what = f"record {seen} ({url})" if url else f"record {seen}"
            page, reason = _page_of(record, url, self.max_bytes)
            # Reading to the record's end tells where it ends, and whether the file held all of it.
            start, length = records.get_record_offset(), records.get_record_length()
            end = start + length
            cut = _cut_short(record)
            if cut is not None:
                page, reason = None, cut
            if reason is not None:
                self._skip(what, start, reason)
            elif page is not None:
                yield page
        if seen == 0:
            raise PipelineError(f"{self.path} is not a WARC file: it holds no records", permanent=True)
        tail = _unread_tail(stream, end)
        if tail:
            self._skip(f"the tail after record {seen}", end, f"{tail} bytes that hold no whole record")


def iter_warc_pages(path: str | Path, *, max_bytes: int = MAX_PAGE_BYTES) -> WarcPages:
    """The HTML ``response`` records with HTTP status 200 of the WARC file at ``path``, as an iterable.

    Other records are passed over. A broken record, one over ``max_bytes``, one cut short and a
    tail holding no whole record are skipped with a warning and listed in the result's
    ``skipped``. Iterating raises PipelineError (permanent) when the file cannot be opened or is
    not a WARC.
    """
    return WarcPages(path, max_bytes)


def _cut_short(record: Any) -> str | None:
    """Why a record read to its end is incomplete (the file ends inside it), or None when it is whole."""
    declared = record.rec_headers.get_header("Content-Length") or ""
    if not declared.isdigit() or record.rec_type is None:
        # Every WARC record has a type and a length; warcio blanks the length of one whose
        # HTTP headers the file cuts off.
        return "its header is cut short or malformed (no WARC-Type or Content-Length)"
    missing = getattr(record.raw_stream, "limit", 0)  # what the file lacked of Content-Length
    if missing:
        return f"cut short: {missing} of its {declared} bytes are missing"
    return None


def _unread_tail(stream: BinaryIO, end: int) -> int:
    """How many bytes after ``end`` hold something other than blank lines (0: the file ends there)."""
    size = stream.seek(0, 2)
    if size <= end:
        return 0
    stream.seek(end)
    rest = stream.read(TAIL_LOOK)
    if size - end > TAIL_LOOK or rest.strip(b"\r\n"):
        return size - end
    return 0


def _header_trouble(exc: Exception) -> str:
    """Say what is wrong with a record header warcio could not read.

    warcio reports a header without Content-Length, or one cut in the middle, with its own internal
    errors (an AttributeError on None); those say nothing to a user.
    """
    if isinstance(exc, (AttributeError, TypeError, KeyError, IndexError)):
        return "a record header is damaged (no Content-Length, or cut short)"
    return " ".join(str(exc).split()) or type(exc).__name__


def _page_of(record: Any, url: str, max_bytes: int) -> tuple[WarcPage | None, str | None]:
    """The page a record holds (None for records that are not 200 HTML responses), or why it was not read."""
    if record.rec_type != "response" or record.http_headers is None:
        return None, None
    try:
        return _read_page(record, url, max_bytes), None
    # warcio and its decompressors (zlib, brotli) raise many kinds of errors on a damaged
    # payload; one record must never stop the archive.
    except Exception as exc:
        return None, str(exc) or type(exc).__name__


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
