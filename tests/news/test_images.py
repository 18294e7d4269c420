"""The image cache: real pictures served from 127.0.0.1, fetched, checked, resized and served from /img/."""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from PIL import Image

from newsdesk.news import images
from tests.fixtures.server import Answer, FixtureServer


@pytest.fixture(autouse=True)
def _fresh_image_fetcher() -> Iterator[None]:
    images.reset_image_fetcher()
    yield
    images.reset_image_fetcher()


def picture(width: int = 800, height: int = 600, kind: str = "PNG", **save: object) -> bytes:
    """A real picture: a gradient, so the encoder has something to encode."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [((x * 255) // width, (y * 255) // height, 128) for y in range(height) for x in range(width)]
    )
    out = io.BytesIO()
    image.save(out, format=kind, **save)  # type: ignore[arg-type]
    return out.getvalue()


def serve(server: FixtureServer, path: str, body: bytes, kind: str = "image/png") -> str:
    server.routes[path] = Answer(body, 200, {"Content-Type": kind})
    return server.url(path)


def render(source: str, **context: object) -> str:
    return Template("{% load images %}" + source).render(Context(context))


# --- the template tags ---------------------------------------------------------------------------


def test_image_src_gives_the_local_address_and_size_of_a_cached_picture(server: FixtureServer) -> None:
    url = serve(server, "/lead.png", picture(800, 600))
    assert images.cache_image(url) is not None
    out = render(
        '{% image_src story_image_url 320 as src %}<img src="{{ src }}" width="{{ src.width }}" '
        'height="{{ src.height }}">',
        story_image_url=url,
    )
    key = images.source_key(url)
    assert out == f'<img src="/img/{key}/320/" width="320" height="240">'
    assert server.url("") not in out  # the browser is never sent to the source


def test_image_src_is_empty_without_a_url_or_a_cached_picture(server: FixtureServer) -> None:
    template = "{% image_src url 320 as src %}[{{ src }}|{{ src.width }}]{% if src %}shown{% endif %}"
    assert render(template, url=None) == "[|]"
    assert render(template, url="") == "[|]"
    assert render(template, url=server.url("/never-fetched.png")) == "[|]"
    broken = serve(server, "/page.html", b"<html><body>no picture</body></html>", "text/html")
    assert images.cache_image(broken) is None
    assert render(template, url=broken) == "[|]"


def test_image_src_fits_widths_and_never_upscales(server: FixtureServer) -> None:
    url = serve(server, "/small.jpg", picture(500, 250, "JPEG"), "image/jpeg")
    images.cache_image(url)
    key = images.source_key(url)
    assert render("{% image_src url 300 %}", url=url) == f"/img/{key}/320/"
    assert render("{% image_src url 1024 as s %}{{ s }} {{ s.width }}x{{ s.height }}", url=url) == (
        f"/img/{key}/1024/ 500x250"
    )


def test_image_srcset_lists_the_widths_the_picture_has(server: FixtureServer) -> None:
    url = serve(server, "/wide.png", picture(700, 350))
    images.cache_image(url)
    key = images.source_key(url)
    assert render("{% image_srcset url %}", url=url) == (
        f"/img/{key}/160/ 160w, /img/{key}/320/ 320w, /img/{key}/640/ 640w, /img/{key}/1024/ 700w"
    )
    assert render("{% image_srcset url %}", url=None) == ""
    assert render("{% image_sizes %}") == images_sizes_default()


def images_sizes_default() -> str:
    from newsdesk.news.templatetags.images import DEFAULT_SIZES

    return DEFAULT_SIZES


# --- fetching, checking, serving ------------------------------------------------------------------


def noise(width: int, height: int) -> bytes:
    """A PNG that does not compress: random pixels."""
    import os as _os

    image = Image.frombytes("RGB", (width, height), _os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.urls("newsdesk.news.image_urls")
def test_it_serves_resized_webp_from_img_with_long_lived_headers(
    server: FixtureServer, client: Client
) -> None:
    url = serve(server, "/photo.jpg", picture(1600, 900, "JPEG"), "image/jpeg")
    cached = images.cache_image(url)
    assert cached is not None
    assert (cached.width, cached.height) == (1280, 720)  # the stored original, capped at MAX_STORED_SIDE
    for width, expected in ((160, (160, 90)), (320, (320, 180)), (640, (640, 360)), (1024, (1024, 576))):
        address = images.image_path(url, width)
        assert address == reverse("cached_image", args=(images.source_key(url), width))
        response = client.get(address)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        shown = Image.open(io.BytesIO(body))
        assert shown.format == "WEBP"
        assert shown.size == expected == cached.size(width)
        assert response["Content-Type"] == "image/webp"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["ETag"].startswith('"')
        again = client.get(address, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
    assert len(server.requests) == 1  # fetched once, at caching; serving fetches nothing
    assert images.cache_image(url) == cached  # cached: not fetched again
    assert len(server.requests) == 1


@pytest.mark.urls("newsdesk.news.image_urls")
def test_a_bad_signature_or_width_or_a_missing_picture_is_404(server: FixtureServer, client: Client) -> None:
    url = serve(server, "/ok.png", picture(400, 300))
    images.cache_image(url)
    key = images.source_key(url)
    assert client.get(f"/img/{key}/320/").status_code == 200
    for address in (
        f"/img/{key[:-1]}0/320/" if key[-1] != "0" else f"/img/{key[:-1]}1/320/",  # one digit changed
        f"/img/{key}/300/",  # not an allowed width
        f"/img/{key}/99999/",
        "/img/../../etc/passwd/320/",
        f"/img/{key.upper()}/320/",
        f"/img/{images.source_key(server.url('/never-cached.png'))}/320/",  # valid, not cached: no fetch
    ):
        response = client.get(address)
        assert response.status_code == 404, address
        if response.status_code == 404 and address.startswith("/img/") and "passwd" not in address:
            assert response["Cache-Control"] == "public, max-age=300"
    assert len(server.requests) == 1


def test_a_non_image_is_refused_and_not_fetched_again(server: FixtureServer) -> None:
    url = serve(server, "/article.html", b"<!doctype html><title>x</title><p>text</p>" * 50, "image/png")
    assert images.cache_image(url) is None
    assert images.cache_image(url) is None
    assert len(server.requests) == 1  # the failure was recorded: no fetch on every page view
    failure = images._read_meta(images.source_key(url))
    assert isinstance(failure, images._Failure) and "not a JPEG" in failure.error and failure.permanent


def test_the_address_guard_holds_for_images(server: FixtureServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, allow_private_addresses=False)
    images.reset_image_fetcher()
    url = serve(server, "/inside.png", picture(300, 200))
    assert images.cache_image(url) is None
    assert server.requests == []  # refused before a byte was sent
    failure = images._read_meta(images.source_key(url))
    assert isinstance(failure, images._Failure) and "Refused" in failure.error


def test_svg_and_a_missing_url_are_refused(server: FixtureServer) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script></svg>'
    url = serve(server, "/logo.svg", svg, "image/svg+xml")
    assert images.cache_image(url) is None
    assert images.cache_image(server.url("/404.png")) is None  # the fixture's 404
    assert images.cache_image("") is None
    assert images.cache_image("file:///etc/passwd") is None
    assert images.cache_image("data:image/png;base64,AAAA") is None


def test_an_oversized_body_is_refused_and_not_fetched_again(server: FixtureServer, settings: Any) -> None:
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, image_max_bytes=100_000)
    images.reset_image_fetcher()
    big = noise(400, 400)
    assert len(big) > 100_000
    url = serve(server, "/huge.png", big)
    assert images.cache_image(url) is None
    assert images.cache_image(url) is None
    assert len(server.requests) == 1
    failure = images._read_meta(images.source_key(url))
    assert isinstance(failure, images._Failure) and "limit" in failure.error and failure.permanent
    small = serve(server, "/small.png", picture(200, 100))
    assert images.cache_image(small) is not None  # the cap refuses only what is over it


def test_a_failure_is_retried_once_its_time_has_come(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.url("/later.png")
    server.routes["/later.png"] = Answer(b"busy", 503, {"Content-Type": "text/plain"})
    assert images.cache_image(url) is None
    assert images.cache_image(url) is None
    assert len(server.requests) == 1
    serve(server, "/later.png", picture(300, 200))
    monkeypatch.setattr(images, "RETRY_FAILED_SECONDS", 0)
    assert images.cache_image(url) is not None
    assert len(server.requests) == 2


def test_decompression_bombs_are_refused_before_decoding(server: FixtureServer) -> None:
    # 400 million pixels in a few hundred kilobytes: Pillow's own bomb check refuses it at open.
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 5 * 1024 * 1024
    # 49 million: under Pillow's default limit, over ours.
    large = io.BytesIO()
    Image.new("L", (7_000, 7_000)).save(large, format="PNG")
    for path, body in (("/bomb.png", bomb.getvalue()), ("/large.png", large.getvalue())):
        url = serve(server, path, body)
        assert images.cache_image(url) is None, path
        failure = images._read_meta(images.source_key(url))
        assert isinstance(failure, images._Failure) and "pixels" in failure.error


def test_an_animated_giant_is_refused_and_a_small_animation_keeps_its_first_frame(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = [Image.new("RGB", (200, 200), (n * 20, 0, 0)) for n in range(10)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    url = serve(server, "/anim.gif", out.getvalue(), "image/gif")
    monkeypatch.setattr(images, "MAX_ANIMATION_PIXELS", 300_000)  # 200 x 200 x 10 = 400 000
    assert images.cache_image(url) is None
    failure = images._read_meta(images.source_key(url))
    assert isinstance(failure, images._Failure) and "animation" in failure.error
    monkeypatch.setattr(images, "MAX_ANIMATION_PIXELS", 1_000_000)
    cached = images.cache_image(url, force=True)
    assert cached is not None
    stored = Image.open(cached.file(320))
    assert getattr(stored, "n_frames", 1) == 1 and stored.size == (200, 200)


def test_metadata_is_stripped_and_orientation_applied(server: FixtureServer) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to show
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (59.0, 19.0, 0.0)}  # GPSInfo latitude
    body = picture(400, 200, "JPEG", exif=exif.tobytes())
    url = serve(server, "/exif.jpg", body, "image/jpeg")
    cached = images.cache_image(url)
    assert cached is not None
    assert (cached.width, cached.height) == (200, 400)  # turned upright
    for width in (None, *images.ALLOWED_WIDTHS):
        data = cached.file(width).read_bytes()
        assert b"SecretCam" not in data and b"Exif" not in data
        assert not Image.open(cached.file(width)).getexif()


def test_one_picture_at_two_urls_is_stored_once(server: FixtureServer) -> None:
    body = picture(500, 300)
    first = images.cache_image(serve(server, "/a.png", body))
    second = images.cache_image(serve(server, "/b.png", body))
    assert first is not None and second is not None
    assert first.digest == second.digest and first.key != second.key
    assert len(list((images.cache_root() / "obj").glob("*/*"))) == 1


# --- writing atomically, evicting -----------------------------------------------------------------

KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from newsdesk.news import images
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # killed between write and rename
images._atomic_write(Path(sys.argv[1]), b"x" * 100_000)
"""


def test_a_writer_killed_before_the_rename_leaves_no_file_under_a_real_name(tmp_path: Path) -> None:
    key = images.source_key("https://example.org/killed.jpg")
    target = images._meta_file(key)
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(target)], capture_output=True, timeout=60
    )
    assert result.returncode == -signal.SIGKILL
    assert not target.exists()
    left = list(target.parent.iterdir())
    assert len(left) == 1 and left[0].name.startswith(
        ".tmp-"
    )  # the killed writer's, under a name nothing reads
    assert images.lookup_key(key) is None
    os.utime(left[0], (0, 0))  # an hour old and more
    images.evict()
    assert list(target.parent.iterdir()) == []  # removed by the next eviction


def test_pictures_are_written_before_the_json_that_points_at_them(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = serve(server, "/half.png", picture(300, 300))

    def killed(key: str, data: dict[str, object]) -> None:
        raise KeyboardInterrupt  # stands for a kill after the pictures, before the JSON

    monkeypatch.setattr(images, "_write_json", killed)
    with pytest.raises(KeyboardInterrupt):
        images.cache_image(url)
    assert images.lookup(url) is None
    assert render("{% image_src url 320 %}", url=url) == ""


def test_eviction_keeps_the_cache_under_its_bound_least_recently_used_first(server: FixtureServer) -> None:
    urls = [serve(server, f"/n{n}.png", noise(300, 200)) for n in range(5)]
    cached = [images.cache_image(url) for url in urls]
    assert all(cached)
    folders = [c.file(None).parent for c in cached if c is not None]
    sizes = [sum(f.stat().st_size for f in folder.iterdir()) for folder in folders]
    for age, folder in enumerate(folders):  # n0 used longest ago ... n4 most recently
        for file in folder.iterdir():
            os.utime(file, (1_000_000 + age * 1000, 1_000_000 + age * 1000))
    os.utime(folders[0] / "w320.webp")  # n0 served just now: used most recently
    bound = sum(sizes) // 2
    removed = images.evict(bound)
    kept = [folder.exists() for folder in folders]
    assert removed > 0
    total = sum(sum(f.stat().st_size for f in folder.iterdir()) for folder in folders if folder.exists())
    assert total <= bound * images.EVICT_TO
    assert kept[0] and kept[4]  # the most recently used stay
    assert not kept[1]  # the least recently used went first
    for url, stays in zip(urls, kept, strict=True):
        assert (images.lookup(url) is not None) == stays  # the JSON of a removed picture went with it
        assert bool(render("{% image_src url 320 %}", url=url)) == stays
    assert images.evict(bound) == 0  # under the bound: nothing more to do


# --- the runner's batch -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_cache_lead_images_caches_a_batch_in_one_query(server: FixtureServer) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsdesk.news.models import Article, Source

    source = Source.objects.create(name="Courier", domain="courier.example")
    good = serve(server, "/lead1.png", picture(640, 480))
    bad = serve(server, "/lead2.html", b"<html></html>", "text/html")
    articles = [
        Article.objects.create(
            source=source, url=f"https://courier.example/{n}", title=f"t{n}", lead_image=image
        )
        for n, image in enumerate((good, bad, ""))
    ]
    with CaptureQueriesContext(connection) as queries:
        report = images.cache_lead_images([a.pk for a in articles] + [999_999])
    assert len(queries) == 1
    assert (report.cached, report.failed, report.skipped) == (1, 1, 2)
    assert images.lookup(good) is not None
    assert images.cache_lead_image(articles[0].pk) == images.lookup(good)
    assert images.cache_lead_image(articles[2].pk) is None


@pytest.mark.django_db
def test_cache_recent_lead_images_fetches_only_what_is_wanted(server: FixtureServer) -> None:
    from newsdesk.news.models import Article, Source

    source = Source.objects.create(name="Courier", domain="courier.example")
    done = serve(server, "/done.png", picture(320, 200))
    todo = serve(server, "/todo.png", picture(320, 200))
    broken = serve(server, "/broken.html", b"<html></html>", "text/html")
    assert images.cache_image(done) is not None
    assert images.cache_image(broken) is None
    for n, image in enumerate((done, todo, broken, "")):
        Article.objects.create(
            source=source, url=f"https://courier.example/{n}", title=f"t{n}", lead_image=image
        )
    fetched = len(server.requests)
    report = images.cache_recent_lead_images()
    assert (report.cached, report.failed, report.skipped) == (1, 0, 0)
    assert [path for path, _ in server.requests[fetched:]] == ["/todo.png"]
    assert images.cache_recent_lead_images().cached == 0  # nothing wanted any more
