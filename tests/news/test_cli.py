"""The CLI against a real news site on 127.0.0.1: add, fetch, articles, import, export, extract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk import cli
from newsdesk.news.models import Article, Feed
from tests.conftest import SHARED_DATA
from tests.fixtures.newssite import BOILERPLATE_PHRASES, NewsSite
from tests.fixtures.server import Answer, FixtureServer

pytestmark = pytest.mark.django_db(transaction=True)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_it_adds_a_site_fetches_and_lists_articles(
    site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "add", site.server.url("/"))
    assert code == 0 and "3 new" in out
    code, out, _ = run(capsys, "fetch", "--all")
    assert code == 0 and "0 new" in out
    code, out, _ = run(capsys, "articles", "--json")
    records = json.loads(out)
    assert [r["title"] for r in records][:2] == [
        site.story("storm-warning-coast").title,
        site.story("harbour-bridge-reopens").title,
    ]
    assert records[0]["developing"] is True
    assert records[0]["source"]["name"] == "Eastport Courier"
    for phrase in BOILERPLATE_PHRASES:
        assert all(phrase not in r["text"] for r in records), phrase


def test_it_reports_a_failing_feed_and_exits_1(
    server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/feed.xml"] = Answer(
        b"<rss><channel><title>x</title></channel></rss>", 200, {"Content-Type": "application/rss+xml"}
    )
    assert run(capsys, "add", "--no-fetch", server.url("/feed.xml"))[0] == 0
    server.routes["/feed.xml"] = Answer(b"down", 503)
    code, out, _ = run(capsys, "fetch", "--all")
    assert code == 1 and "HTTP 503" in out
    code, out, _ = run(capsys, "feeds", "--json")
    assert json.loads(out)[0]["health"] == "failing"


def test_it_refuses_a_page_without_a_feed(server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/"] = Answer(
        b"<html><body><p>No feed here</p></body></html>", 200, {"Content-Type": "text/html"}
    )
    code, _, err = run(capsys, "add", server.url("/"))
    assert code == 1 and "announces no feed" in err
    assert not Feed.objects.exists()


def test_it_imports_and_exports_opml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>'
        '<outline text="World"><outline type="rss" text="BBC" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>'
        '<outline type="rss" text="DW" xmlUrl="https://rss.dw.com/rdf/rss-en-all"/></outline></body></opml>'
    )
    code, out, _ = run(capsys, "import", str(opml))
    assert code == 0 and "2 feeds" in out
    code, out, _ = run(capsys, "export-opml")
    assert "feeds.bbci.co.uk/news/world/rss.xml" in out and "rss.dw.com" in out


def test_it_imports_a_saved_feed_file_and_a_saved_page(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_file = tmp_path / "courier.xml"
    feed_file.write_bytes(site._feed().body)
    page_file = tmp_path / "bridge.html"
    page_file.write_bytes(site.page("harbour-bridge-reopens").body)
    code, out, _ = run(capsys, "import", str(page_file), str(feed_file))
    assert code == 0, out
    assert Article.objects.count() == 3
    bridge = Article.objects.get(url=site.article_url("harbour-bridge-reopens"))
    assert site.story("harbour-bridge-reopens").paragraphs[-1] in bridge.text


def test_it_reports_unreadable_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"\x00\x01 not a feed at all")
    code, out, _ = run(capsys, "import", str(junk), str(tmp_path / "missing.opml"))
    assert code == 1
    assert "cannot read the file" in out


def test_it_extracts_files_and_urls_as_json_lines(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "storm.html"
    saved.write_bytes(site.page("storm-warning-coast").body)
    code, out, _ = run(
        capsys,
        "extract",
        str(saved),
        site.article_url("harbour-bridge-reopens"),
        str(tmp_path / "nope.html"),
        "--json",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # the missing file
    assert [line["input"] for line in lines][:2] == [str(saved), site.article_url("harbour-bridge-reopens")]
    first = lines[0]
    assert set(first) == {"input", "url", "title", "byline", "published_at", "language", "text"}
    assert first["title"] == site.story("storm-warning-coast").title
    assert first["byline"] == "Ilse Moreau"
    assert first["language"] == "en"
    assert first["published_at"].startswith("2026-11-27T08:00")
    assert "error" in lines[2]


def test_it_extracts_a_real_saved_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import gzip

    data = json.loads((SHARED_DATA / "extraction-trafilatura-eval" / "evaldata.json").read_text())
    entry = next(iter(data.values()))
    page = tmp_path / "page.html"
    page.write_bytes(
        gzip.decompress(
            (SHARED_DATA / "extraction-trafilatura-eval" / "html" / (entry["file"] + ".gz")).read_bytes()
        )
    )
    code, out, _ = run(capsys, "extract", str(page), "--json")
    record = json.loads(out)
    assert code == 0
    assert any(segment in record["text"] for segment in entry["with"])
