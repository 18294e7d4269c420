"""The CLI against a real news site on 127.0.0.1: add, fetch, articles, import, export, extract."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from newsdesk import cli
from newsdesk.news.models import Article, Feed
from tests.conftest import SHARED_DATA
from tests.fixtures.newssite import BOILERPLATE_PHRASES, NOW, NewsSite
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
    assert first["published_at"] == site.story("storm-warning-coast").published.isoformat()
    assert "error" in lines[2]


@pytest.mark.skipif(
    not (SHARED_DATA / "extraction-trafilatura-eval").is_dir(), reason="needs ../shared/data (absent here)"
)
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


def test_it_enriches_what_a_fetch_stored_and_what_a_crashed_run_left(
    site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsdesk.news.enrichment import analyse_pending

    assert run(capsys, "add", "--no-enrich", site.server.url("/"))[0] == 0
    assert not Article.objects.filter(enriched_at__isnull=False).exists()
    # A run that analysed the articles and died before placing them in stories.
    assert analyse_pending() == 3
    assert not Article.objects.filter(story__isnull=False).exists()
    code, out, _ = run(capsys, "fetch", "--all")
    assert code == 0 and "0 new" in out
    # The next fetch, with nothing new of its own, finished what the dead run left.
    assert not Article.objects.filter(enriched_at__isnull=True).exists()
    assert not Article.objects.filter(story__isnull=True).exists()
    assert Article.objects.filter(vectors__isnull=False).distinct().count() == 3


def test_it_reenriches_since_a_date_and_refuses_a_bad_one(
    site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "add", site.server.url("/"))[0] == 0
    Article.objects.update(analysed_at=None, enriched_at=None)
    since = (NOW - timedelta(hours=24)).isoformat()
    code, out, _ = run(capsys, "reenrich", "--since", since, "--json")
    # Two of the site's three stories are from the last day; the third (30 hours old) is not.
    assert code == 0 and json.loads(out) == {"enriched": 2}
    assert Article.objects.filter(enriched_at__isnull=True).count() == 1
    code, _, err = run(capsys, "reenrich", "--since", "last tuesday")
    assert code == 2 and "--since" in err and "ISO 8601" in err


def test_it_runs_one_scheduler_tick_in_process(site: NewsSite, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "add", "--no-fetch", site.feed_url)[0] == 0
    code, _, _ = run(capsys, "scheduler", "--once")
    assert code == 0
    # The tick claimed the due feed and the in-process runner refreshed it before the command ended.
    assert Article.objects.count() == 3
    feed = Feed.objects.get()
    assert feed.last_fetched_at is not None


def test_it_refuses_a_worker_without_a_broker_or_with_an_unknown_queue(
    capsys: pytest.CaptureFixture[str],
    settings,  # type: ignore[no-untyped-def]
) -> None:
    code, _, err = run(capsys, "worker")
    assert code == 2 and "NEWSDESK_BROKER_URL" in err
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, broker_url="redis://127.0.0.1:1/0")
    code, _, err = run(capsys, "worker", "--queues", "fetch,sports")
    assert code == 2 and "unknown queue sports" in err


def test_it_refuses_to_schedule_on_an_unmigrated_database(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEWSDESK_", "DJANGO_"))}
    env["NEWSDESK_HOME"] = str(tmp_path / "fresh")
    newsdesk = str(Path(sys.executable).with_name("newsdesk"))
    for command in (["scheduler", "--once"], ["worker"]):
        env["NEWSDESK_BROKER_URL"] = "redis://127.0.0.1:1/0"
        result = subprocess.run(
            [newsdesk, *command], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 2, result.stderr
        assert "migrations" in result.stderr and "newsdesk manage migrate" in result.stderr


def _warc_of_pages(path: Path, site: NewsSite, slugs: list[str], *, gzipped: bool) -> list[int]:
    """Write the site's pages as WARC response records; returns where each record starts."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    starts = []
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzipped)
        for slug in slugs:
            starts.append(stream.tell())
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], "HTTP/1.1")
            record = writer.create_warc_record(
                site.article_url(slug),
                "response",
                payload=io.BytesIO(site.page(slug).body),
                http_headers=headers,
            )
            writer.write_record(record)
    return starts


@pytest.mark.parametrize("gzipped", [False, True], ids=["warc", "warc.gz"])
def test_a_truncated_warc_imports_its_whole_records_and_exits_1_naming_the_rest(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], gzipped: bool
) -> None:
    slugs = ["harbour-bridge-reopens", "storm-warning-coast", "library-digitises-maps"]
    path = tmp_path / ("crawl.warc.gz" if gzipped else "crawl.warc")
    starts = _warc_of_pages(path, site, slugs, gzipped=gzipped)
    data = path.read_bytes()
    path.write_bytes(data[: starts[2] + (len(data) - starts[2]) * 2 // 3])  # cut inside the third record

    code, out, _ = run(capsys, "import", "--no-enrich", str(path))
    assert code == 1, out
    assert f"{path} (warc): 0 feeds, 2 new articles, 1 parts skipped" in out
    [skipped] = [line for line in out.splitlines() if line.startswith("  ! skipped ")]
    # The third page's record is named, as the record cut short or as the tail holding no whole record.
    assert f"record 3 ({site.article_url(slugs[2])})" in skipped or "the tail after record 2" in skipped
    assert f"at byte {starts[2]}" in skipped or "the tail after record 2" in skipped
    assert sorted(Article.objects.values_list("url", flat=True)) == sorted(
        site.article_url(s) for s in slugs[:2]
    )

    code, out, _ = run(capsys, "import", "--no-enrich", "--json", str(path))
    record = json.loads(out)
    assert code == 1 and record["errors"] == [] and len(record["skipped"]) == 1

    path.write_bytes(data)  # the whole file: nothing skipped, exit 0
    code, out, _ = run(capsys, "import", "--no-enrich", str(path))
    assert code == 0 and "skipped" not in out
    assert Article.objects.count() == 3


def test_feeds_exits_1_while_any_feed_is_failing(
    server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    rss = b"<rss><channel><title>x</title><link>http://example.org/</link></channel></rss>"
    for name in ("/good.xml", "/bad.xml"):
        server.routes[name] = Answer(rss, 200, {"Content-Type": "application/rss+xml"})
        assert run(capsys, "add", server.url(name))[0] == 0
    assert run(capsys, "feeds")[0] == 0
    server.routes["/bad.xml"] = Answer(b"down", 503)
    assert run(capsys, "fetch", "--all")[0] == 1
    code, out, err = run(capsys, "feeds")
    assert code == 1 and "HTTP 503" in out and "1 of 2 feeds are failing or disabled" in err
    code, out, _ = run(capsys, "feeds", "--json")
    assert code == 1 and sorted(feed["health"] for feed in json.loads(out)) == ["failing", "ok"]
    Feed.objects.filter(url=server.url("/bad.xml")).update(disabled_reason="HTTP 410", consecutive_errors=0)
    assert run(capsys, "feeds")[0] == 1
    Feed.objects.filter(url=server.url("/bad.xml")).delete()
    assert run(capsys, "feeds")[0] == 0


def test_it_extracts_a_url_whatever_the_case_of_its_scheme(
    site: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site.article_url("storm-warning-coast")
    assert url.startswith("http://")
    code, out, err = run(capsys, "extract", "HTTP://" + url.removeprefix("http://"), "--json")
    assert code == 0, err
    assert json.loads(out)["title"] == site.story("storm-warning-coast").title


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["articles"], "--limit"),
        (["analyze", "x.txt"], "--batch-size"),
        (["worker"], "--concurrency"),
        (["scheduler"], "--interval"),
        (["serve"], "--processes"),
    ],
)
@pytest.mark.parametrize("value", ["-5", "0", "99999999999999999999", "banana", "1.5", ""])
def test_every_numeric_option_refuses_nonsense_as_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: list[str], option: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, option, value])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert f"argument {option}: expected a" in err and "Traceback" not in err


def test_a_numeric_option_takes_its_bounds(site: NewsSite, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "add", "--no-enrich", site.feed_url)[0] == 0
    code, out, _ = run(capsys, "articles", "--limit", "1", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    code, out, _ = run(capsys, "articles", "--limit", "1000000", "--json")
    assert code == 0 and len(json.loads(out)) == 3
    source_id = Article.objects.values_list("source_id", flat=True).first()
    code, out, _ = run(capsys, "articles", "--source", str(source_id), "--json")
    assert code == 0 and len(json.loads(out)) == 3
    with pytest.raises(SystemExit) as exit_info:  # no key is that large: a usage error, not a traceback
        cli.main(["articles", "--source", "9" * 20])
    assert exit_info.value.code == 2 and "argument --source: expected a number" in capsys.readouterr().err


def test_a_missing_enricher_stops_fetch_before_anything_is_stored(
    site: NewsSite,
    capsys: pytest.CaptureFixture[str],
    settings,  # type: ignore[no-untyped-def]
) -> None:
    assert run(capsys, "add", "--no-fetch", site.feed_url)[0] == 0
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, enrichers=["hashtags", "sentiment"])
    code, out, err = run(capsys, "fetch", "--all")
    assert code == 2 and out == ""
    assert "NEWSDESK_ENRICHERS: 'sentiment': no enricher of that name is installed" in err
    assert "Traceback" not in err
    assert not Article.objects.exists()
    code, _, _ = run(capsys, "fetch", "--all", "--no-enrich")  # what does not enrich needs no enricher
    assert code == 0 and Article.objects.count() == 3


def _newsdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    newsdesk = str(Path(sys.executable).with_name("newsdesk"))
    return subprocess.run([newsdesk, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def _clean_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEWSDESK_", "DJANGO_"))}
    env["NEWSDESK_HOME"] = str(home)
    return env


def test_an_unreachable_database_is_one_line_naming_it_without_its_password(tmp_path: Path) -> None:
    import socket

    env = _clean_env(tmp_path / "fresh")
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        env["NEWSDESK_DATABASE_URL"] = f"postgresql://newsdesk:s3cret@127.0.0.1:{port}/news"
        for command in (["feeds"], ["serve", "--port", "1"]):
            done = _newsdesk(env, *command)
            assert done.returncode == 2, (command, done.stderr)
            assert done.stderr.count("\n") == 1, done.stderr
            assert f"postgresql://newsdesk:***@127.0.0.1:{port}/news" in done.stderr
            assert "s3cret" not in done.stderr and "Traceback" not in done.stderr


def test_check_reports_every_problem_at_once_and_passes_good_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `newsdesk check` reads the environment itself (it sets up no Django, which would stop at
    # the first bad key), so it runs here in the test's process.
    import socket

    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("NEWSDESK_DATABASE_URL", raising=False)  # SQLite in the fresh home
    assert run(capsys, "check") == (0, "all settings good\n", "")
    assert not (tmp_path / "fresh").exists()  # a check makes nothing
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        bad = {
            "NEWSDESK_PORT": "eighty",
            "NEWSDESK_FETCH_TIMEOUT": "nan",
            "NEWSDESK_DATABASE_URL": f"postgresql://ann:pw@127.0.0.1:{closed.getsockname()[1]}/news",
            "NEWSDESK_ENRICHERS": "nlp,sentiment",
            "NEWSDESK_EMBEDDER": "word2vec",
            "NEWSDESK_SPACY_MODEL": "xx_no_such_model",
        }
        for key, value in bad.items():
            monkeypatch.setenv(key, value)
        code, out, err = run(capsys, "check")
        assert code == 2 and out == ""
        named = [line.split(":")[2].strip().split("=")[0] for line in err.splitlines()]
        assert named == [
            "NEWSDESK_PORT",
            "NEWSDESK_FETCH_TIMEOUT",
            "NEWSDESK_DATABASE_URL",
            "NEWSDESK_ENRICHERS",
            "NEWSDESK_SPACY_MODEL",
            "NEWSDESK_EMBEDDER",
        ], err
        code, out, _ = run(capsys, "check", "--json")
        assert code == 2 and len(json.loads(out)["problems"]) == 6
