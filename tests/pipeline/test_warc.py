"""Tests of reading HTML pages out of WARC files, written here with warcio."""

from __future__ import annotations

import gzip
import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsdesk.pipeline.errors import PipelineError
from newsdesk.pipeline.warc import WarcPage, iter_warc_pages

PAGE_ONE = b"<html><head><title>One</title></head><body><p>First story.</p></body></html>"
PAGE_TWO = "<html><body><p>Zweite Meldung \u00fcber M\u00fcnchen.</p></body></html>".encode("iso-8859-1")
WARC_DATE = "2024-03-05T10:20:30Z"


def _response(
    writer: WARCWriter, uri: str, statusline: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    http_headers = StatusAndHeaders(statusline, headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": WARC_DATE},
    )
    writer.write_record(record)


def _request(writer: WARCWriter, uri: str) -> None:
    http_headers = StatusAndHeaders("GET /one HTTP/1.1", [("Host", "news.example")], is_http_request=True)
    record = writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), http_headers=http_headers)
    writer.write_record(record)


def _write_records(writer: WARCWriter) -> None:
    """Two HTML pages, an image, a 404 and a request record."""
    _request(writer, "https://news.example/one")
    _response(
        writer, "https://news.example/one", "200 OK", [("Content-Type", "text/html; charset=UTF-8")], PAGE_ONE
    )
    _response(
        writer, "https://news.example/logo.png", "200 OK", [("Content-Type", "image/png")], b"\x89PNG\r\n"
    )
    _response(
        writer, "https://news.example/gone", "404 Not Found", [("Content-Type", "text/html")], b"<p>nope</p>"
    )
    _response(
        writer,
        "https://news.example/zwei",
        "200 OK",
        [("Content-Type", 'application/xhtml+xml; charset="ISO-8859-1"')],
        PAGE_TWO,
    )


def _make_warc(path: Path, *, gzipped: bool) -> Path:
    with path.open("wb") as stream:
        _write_records(WARCWriter(stream, gzip=gzipped))
    return path


@pytest.fixture(params=[False, True], ids=["warc", "warc.gz"])
def warc_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    suffix = ".warc.gz" if request.param else ".warc"
    return _make_warc(tmp_path / f"pages{suffix}", gzipped=request.param)


def test_it_reads_only_html_200_responses(warc_path: Path) -> None:
    archive = iter_warc_pages(warc_path)
    pages = list(archive)
    assert [page.url for page in pages] == ["https://news.example/one", "https://news.example/zwei"]
    assert archive.skipped == [] and archive.complete


def _record_offsets(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of each record of the archive, as warcio reads them."""
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        return [(records.get_record_offset(), records.get_record_length()) for _ in records]


@pytest.mark.parametrize("gzipped", [False, True], ids=["warc", "warc.gz"])
def test_it_names_what_a_truncated_archive_lost_at_every_cut(
    tmp_path: Path, gzipped: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Cut the file at every byte of its last record (an HTML page): the records before it are
    # read, and the lost page is named, as the record cut short or as the tail after record 4.
    caplog.set_level(logging.ERROR, logger="newsdesk.pipeline.warc")  # 400 warnings say nothing more
    whole = _make_warc(tmp_path / ("whole.warc.gz" if gzipped else "whole.warc"), gzipped=gzipped)
    data = whole.read_bytes()
    *_, (fourth, fourth_length), (last, _) = _record_offsets(whole)
    cut_path = tmp_path / ("cut.warc.gz" if gzipped else "cut.warc")
    named = 0
    for cut in range(last + 1, len(data)):
        cut_path.write_bytes(data[:cut])
        archive = iter_warc_pages(cut_path)
        urls = [page.url for page in archive]
        if urls == ["https://news.example/one", "https://news.example/zwei"]:
            # Only the blank lines after the record, or the gzip member's checksum, are gone.
            assert archive.skipped == [] and cut > len(data) - 12, cut
            continue
        assert urls == ["https://news.example/one"], cut
        [part] = archive.skipped
        # The header may be cut inside the URL: "record 5 (https://news.exa)".
        assert part.what.startswith("record 5") or part.what == "the tail after record 4", cut
        assert part.offset in (fourth + fourth_length, last), cut
        named += 1
    assert named >= (len(data) - last) * 9 // 10  # all but the last few bytes' cuts


def test_it_fills_the_page_fields(warc_path: Path) -> None:
    one, two = iter_warc_pages(str(warc_path))
    assert one == WarcPage(
        url="https://news.example/one",
        content=PAGE_ONE,
        content_type="text/html",
        charset="utf-8",
        fetched_at=datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC),
        status=200,
    )
    assert two.content == PAGE_TWO
    assert two.content_type == "application/xhtml+xml"
    assert two.charset == "iso-8859-1"


def test_it_reads_the_members_of_concatenated_gzip_files(tmp_path: Path) -> None:
    # Common Crawl and wget write one gzip member per record; files are often concatenated.
    first = _make_warc(tmp_path / "a.warc.gz", gzipped=True)
    second = _make_warc(tmp_path / "b.warc.gz", gzipped=True)
    joined = tmp_path / "joined.warc.gz"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    assert len(list(iter_warc_pages(joined))) == 4


def test_it_decodes_chunked_and_gzip_content_encoding(tmp_path: Path) -> None:
    path = tmp_path / "encoded.warc.gz"
    body = gzip.compress(PAGE_ONE)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
    with path.open("wb") as stream:
        _response(WARCWriter(stream, gzip=True), "https://news.example/enc", "200 OK", headers, chunked)
    [page] = iter_warc_pages(path)
    assert page.content == PAGE_ONE


def test_it_skips_a_bad_record_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bad.warc"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        _response(
            writer, "https://news.example/broken", "garbage", [("Content-Type", "text/html")], b"<p>x</p>"
        )
        _write_records(writer)
    with caplog.at_level(logging.WARNING, logger="newsdesk.pipeline.warc"):
        archive = iter_warc_pages(path)
        pages = list(archive)
    assert len(pages) == 2
    assert "https://news.example/broken" in caplog.text
    [broken] = archive.skipped
    assert (broken.what, broken.offset) == ("record 1 (https://news.example/broken)", 0)
    assert "garbage" in broken.reason


def test_it_skips_pages_over_the_size_cap(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _make_warc(tmp_path / "pages.warc", gzipped=False)
    with caplog.at_level(logging.WARNING, logger="newsdesk.pipeline.warc"):
        archive = iter_warc_pages(path, max_bytes=len(PAGE_TWO))
        pages = list(archive)
    assert [page.url for page in pages] == ["https://news.example/zwei"]
    assert "larger than" in caplog.text
    assert [part.what for part in archive.skipped] == ["record 2 (https://news.example/one)"]


def test_it_keeps_the_records_before_a_corrupt_tail(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _make_warc(tmp_path / "pages.warc.gz", gzipped=True)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes() + b"NOT A WARC RECORD\r\n\r\n")
    with caplog.at_level(logging.WARNING, logger="newsdesk.pipeline.warc"):
        pages = iter_warc_pages(path)
        assert len(list(pages)) == 2
    [tail] = pages.skipped
    assert (tail.what, tail.offset) == ("the tail after record 5", size)
    assert "NOT A WARC RECORD" in tail.reason
    assert str(tail) in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body>just a page</body></html>\n",
        gzip.compress(b"hello\nworld\n"),
        b"\x00\x01\x02 binary junk " * 20,
        b"",
    ],
    ids=["html", "gzipped-text", "binary", "empty"],
)
def test_a_file_that_is_not_warc_raises(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not.warc"
    path.write_bytes(content)
    with pytest.raises(PipelineError, match="not a .*WARC") as excinfo:
        list(iter_warc_pages(path))
    assert excinfo.value.permanent


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="cannot open"):
        list(iter_warc_pages(tmp_path / "absent.warc.gz"))
