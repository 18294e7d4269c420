"""The local image cache: lead images fetched once, checked, resized and served by Newsdesk itself.

Readers' browsers never contact the outlets' image hosts (the CSP stays ``img-src 'self'``): the
runner fetches a lead image through the guarded Fetcher (address guard, per-host politeness, a byte
cap of its own), decodes it with Pillow to prove it is an image (formats limited to JPEG, PNG, GIF
and WebP; no SVG; pixel and frame counts bounded before any pixel is decoded), drops every piece of
metadata by re-encoding the pixels, and stores a capped original and one variant per allowed width
as WebP.

On disk, under ``<HOME>/images/``:

- ``src/<kk>/<key>.json``: what is known of one source URL, ``key`` being the URL's HMAC with the
  secret key: the content digest and dimensions of its image, or a failure and when it happened (a
  negative marker, so a broken URL is not fetched again before ``RETRY_*_SECONDS``);
- ``obj/<dd>/<digest>/<name>.webp``: the pictures, content-addressed by the SHA-256 of the
  stored original (``orig``, ``w160``, ``w320`` ...), so one picture used at several URLs is kept once.

Every file is written to a temporary name and renamed into place (``os.replace``), pictures before
the JSON that points at them: a process killed at any moment leaves no half file under a real name.
The whole cache is bounded (``MAX_CACHE_BYTES``); ``evict`` removes the pictures used least
recently (by file mtime, refreshed at most hourly when served), run every ``EVICT_EVERY`` stores.

The URL a page shows is ``/img/<key>/<width>/``: the key is signed, and the view serves only what
is already cached, never fetching, so ``/img/`` is no proxy to anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix
from django.utils.crypto import salted_hmac
from PIL import Image, ImageOps, UnidentifiedImageError

from newsdesk.pipeline.errors import BlockedAddressError, FetchError
from newsdesk.pipeline.fetch import Fetcher

__all__ = [
    "ALLOWED_WIDTHS",
    "CachedImage",
    "ImageReport",
    "cache_image",
    "cache_lead_image",
    "cache_lead_images",
    "cache_recent_lead_images",
    "evict",
    "image_path",
    "lookup",
    "lookup_key",
    "reset_image_fetcher",
    "source_key",
]

log = logging.getLogger(__name__)

# --- limits (each may be overridden by a setting of the same name in lower case on settings.NEWSDESK,
# e.g. NEWSDESK_IMAGE_MAX_BYTES -> settings.NEWSDESK.image_max_bytes, once config.py declares it) ----

IMAGE_MAX_BYTES = 5 * 1024 * 1024  # largest image body fetched, after decompression
IMAGE_CACHE_MAX_BYTES = 512 * 1024 * 1024  # the whole cache on disk
IMAGE_FETCH_TIMEOUT = 10.0  # read timeout of one image fetch, seconds

ALLOWED_WIDTHS: tuple[int, ...] = (160, 320, 640, 1024)
MAX_STORED_SIDE = 1280  # the stored original is scaled down to fit this square (above the widest variant)
MAX_PIXELS = 40_000_000  # width x height of a source image, checked before decoding
MAX_ANIMATION_PIXELS = 100_000_000  # width x height x frames of an animated source
MIN_SIDE = 16  # smaller is a tracking pixel or a spacer, not a picture
RETRY_FAILED_SECONDS = 6 * 3600  # a failure that may pass (timeout, 5xx) is retried after this
RETRY_REFUSED_SECONDS = 7 * 86400  # not an image, too large, 404: retried after this
EVICT_EVERY = 50  # stores between two evictions in one process
EVICT_TO = 0.9  # eviction stops at this share of the bound, so it does not run on every store
TOUCH_SECONDS = 3600  # a served file's mtime is refreshed at most this often
STALE_TEMP_SECONDS = 3600  # a temporary file older than this is a killed writer's: removed by evict
WEBP_QUALITY = 80

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")  # the decoders Pillow may use; SVG is none of them
ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9,image/*;q=0.5"
CONTENT_TYPE = "image/webp"

_KEY_SALT = "newsdesk.news.images"
_KEY_CHARS = 32
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")  # _KEY_CHARS hex digits
_DIGEST_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_TEMP_PREFIX = ".tmp-"


def _limit(name: str, default: Any) -> Any:
    """A limit from ``settings.NEWSDESK.<name>`` when config declares it, else the module's default."""
    return getattr(getattr(settings, "NEWSDESK", None), name, None) or default


def cache_root() -> Path:
    """The cache's folder: ``settings.NEWSDESK_IMAGE_CACHE_DIR`` if set, else ``<HOME>/images``."""
    configured = _limit("image_cache_dir", None) or getattr(settings, "NEWSDESK_IMAGE_CACHE_DIR", None)
    return Path(configured) if configured else Path(settings.HOME) / "images"


# --- names -------------------------------------------------------------------------------------


def source_key(url: str) -> str:
    """The signed key of a source URL: its HMAC with the secret key (32 hex digits)."""
    return salted_hmac(_KEY_SALT, url, algorithm="sha256").hexdigest()[:_KEY_CHARS]


def fit_width(width: int) -> int:
    """The allowed width a request for ``width`` pixels gets: the smallest at least as wide, else the largest."""
    return next((allowed for allowed in ALLOWED_WIDTHS if allowed >= width), ALLOWED_WIDTHS[-1])


def image_path(url: str, width: int) -> str:
    """The local address of ``url``'s picture ``width`` pixels wide: ``/img/<key>/<width>/``.

    ``width`` is fitted to an allowed width. The address says nothing of whether the picture is
    cached: ``lookup`` does (the template tags give an address only for a cached picture).
    """
    return f"{get_script_prefix()}img/{source_key(url)}/{fit_width(width)}/"


def _meta_file(key: str) -> Path:
    return cache_root() / "src" / key[:2] / f"{key}.json"


def _object_dir(digest: str) -> Path:
    return cache_root() / "obj" / digest[:2] / digest


def _variant_name(width: int | None) -> str:
    return "orig.webp" if width is None else f"w{width}.webp"


# --- what is cached ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedImage:
    """A cached picture of one source URL: its stored original's digest and dimensions."""

    key: str
    url: str
    digest: str
    width: int  # of the stored original
    height: int
    fetched_at: float

    def size(self, width: int) -> tuple[int, int]:
        """(width, height) of the variant for an allowed ``width``: never wider than the original."""
        shown = min(width, self.width)
        return shown, max(1, round(self.height * shown / self.width))

    def file(self, width: int | None) -> Path:
        """The file of the variant for an allowed ``width`` (None: the stored original)."""
        return _object_dir(self.digest) / _variant_name(width)

    def path(self, width: int) -> str:
        """Its local address at ``width``."""
        return image_path(self.url, width)


@dataclass(frozen=True)
class _Failure:
    url: str
    error: str
    failed_at: float
    permanent: bool

    def retry_at(self) -> float:
        return self.failed_at + (RETRY_REFUSED_SECONDS if self.permanent else RETRY_FAILED_SECONDS)


def _read_meta(key: str) -> CachedImage | _Failure | None:
    """What the JSON of ``key`` says; None when there is none or it cannot be read."""
    try:
        data = json.loads(_meta_file(key).read_bytes())
        if "error" in data:
            return _Failure(
                url=str(data["url"]),
                error=str(data["error"]),
                failed_at=float(data["failed_at"]),
                permanent=bool(data.get("permanent")),
            )
        digest = str(data["digest"])
        if not _DIGEST_PATTERN.match(digest):
            return None
        return CachedImage(
            key=key,
            url=str(data["url"]),
            digest=digest,
            width=int(data["width"]),
            height=int(data["height"]),
            fetched_at=float(data["fetched_at"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lookup_key(key: str) -> CachedImage | None:
    """The cached picture of a signed key, or None (unknown key, failed fetch, not cached yet)."""
    if not KEY_PATTERN.match(key):
        return None
    meta = _read_meta(key)
    return meta if isinstance(meta, CachedImage) else None


def lookup(url: str | None) -> CachedImage | None:
    """The cached picture of a source URL, or None; reads one small file, fetches nothing."""
    if not url:
        return None
    found = lookup_key(source_key(url))
    return found if found is not None and found.url == url else None


# --- writing -----------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in its folder and a rename.

    A reader sees the old file or the whole new one; a writer killed before the rename leaves only
    a ``.tmp-`` file, which nothing reads and ``evict`` removes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_json(key: str, data: dict[str, Any]) -> None:
    _atomic_write(_meta_file(key), json.dumps(data, separators=(",", ":")).encode())


class ImageRefused(Exception):
    """The body is no picture Newsdesk will keep (not an image, SVG, too many pixels, too small)."""


def _record_failure(url: str, error: str, *, permanent: bool) -> None:
    _write_json(
        source_key(url),
        {"url": url, "error": error[:500], "failed_at": time.time(), "permanent": permanent},
    )


# --- decoding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Encoded:
    digest: str
    width: int
    height: int
    variants: dict[str | int, bytes] = field(default_factory=dict)  # "orig" or a width -> WebP


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile= or xmp=: the re-encoded pixels carry no metadata of the source.
    image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def _scaled(image: Image.Image, width: int) -> Image.Image:
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def decode_image(body: bytes) -> _Encoded:
    """Decode ``body`` as a picture and encode its stored original and variants as WebP.

    Raises ImageRefused for anything that is not a JPEG, PNG, GIF or WebP picture of sensible size:
    the dimensions (and frame count) are read from the header and checked before a pixel is decoded,
    so a decompression bomb costs a header's parse.
    """
    try:
        source = Image.open(io.BytesIO(body), formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageRefused(f"too many pixels: {exc}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageRefused("not a JPEG, PNG, GIF or WebP image") from None
    with source:
        width, height = source.size
        frames = int(getattr(source, "n_frames", 1) or 1)
        if width * height > MAX_PIXELS:
            raise ImageRefused(f"too many pixels: {width}x{height}")
        if width * height * frames > MAX_ANIMATION_PIXELS:
            raise ImageRefused(f"an animation too large: {width}x{height}, {frames} frames")
        if min(width, height) < MIN_SIDE:
            raise ImageRefused(f"too small to show: {width}x{height}")
        try:
            if source.format == "JPEG":
                source.draft("RGB", (MAX_STORED_SIDE, MAX_STORED_SIDE))  # decode JPEG at a smaller scale
            source.seek(0)  # an animation shows its first frame
            upright = ImageOps.exif_transpose(source)  # the EXIF orientation, applied before EXIF is dropped
            picture = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ImageRefused(f"the image cannot be decoded: {exc}") from None
    picture.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
    original = _encode(picture)
    variants: dict[str | int, bytes] = {"orig": original}
    for allowed in ALLOWED_WIDTHS:
        variants[allowed] = original if allowed >= picture.width else _encode(_scaled(picture, allowed))
    return _Encoded(
        digest=hashlib.sha256(original).hexdigest(),
        width=picture.width,
        height=picture.height,
        variants=variants,
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


# --- fetching ----------------------------------------------------------------------------------

_fetcher: Fetcher | None = None
_fetcher_lock = threading.Lock()
_stores = 0


def image_fetcher() -> Fetcher:
    """The process's image fetcher: the settings' fetch policy with the image byte cap and timeout.

    Its per-host gate is the one every fetcher of the process shares (``politeness.host_gate``), so
    images and pages of one outlet wait for each other.
    """
    global _fetcher
    with _fetcher_lock:
        if _fetcher is None:
            from newsdesk.desk import config
            from newsdesk.news.politeness import host_gate

            policy = config.fetch_policy(settings.NEWSDESK)
            policy = replace(
                policy,
                max_bytes=int(_limit("image_max_bytes", IMAGE_MAX_BYTES)),
                timeout_read=min(
                    policy.timeout_read, float(_limit("image_fetch_timeout", IMAGE_FETCH_TIMEOUT))
                ),
            )
            _fetcher = Fetcher(policy, gate=host_gate())
        return _fetcher


def reset_image_fetcher() -> None:
    """Forget the image fetcher (after settings change, in tests)."""
    global _fetcher
    with _fetcher_lock:
        if _fetcher is not None:
            _fetcher.close()
        _fetcher = None


def cache_image(url: str, *, fetcher: Fetcher | None = None, force: bool = False) -> CachedImage | None:
    """The cached picture of ``url``, fetched, checked and stored now when it is not cached yet.

    None when it cannot be had: a failure is recorded with its time, and the URL is not fetched again
    until ``RETRY_FAILED_SECONDS`` (a failure that may pass) or ``RETRY_REFUSED_SECONDS`` (not an
    image, too large, refused) have gone by, unless ``force``. Never raises for a bad URL or body.
    """
    if not url or not url.startswith(("http://", "https://")):
        return None
    key = source_key(url)
    known = _read_meta(key)
    if isinstance(known, CachedImage) and known.url == url and known.file(ALLOWED_WIDTHS[0]).is_file():
        return known
    if isinstance(known, _Failure) and known.url == url and not force and time.time() < known.retry_at():
        return None
    try:
        result = (fetcher or image_fetcher()).fetch(url, accept=ACCEPT)
        encoded = decode_image(result.content)
    except BlockedAddressError as exc:
        _record_failure(url, str(exc), permanent=True)
        return None
    except FetchError as exc:
        refused = exc.permanent or "limit" in str(exc)  # a 4xx, a bad URL, a body over the cap
        _record_failure(url, str(exc), permanent=refused)
        return None
    except ImageRefused as exc:
        log.info("image %s refused: %s", url, exc)
        _record_failure(url, f"refused: {exc}", permanent=True)
        return None
    cached = _store(key, url, encoded)
    _maybe_evict()
    return cached


def _store(key: str, url: str, encoded: _Encoded) -> CachedImage:
    """Write the pictures (if this digest is not stored yet), then the JSON that points at them."""
    folder = _object_dir(encoded.digest)
    for name, data in encoded.variants.items():
        target = folder / _variant_name(None if name == "orig" else int(name))
        if target.is_file():
            os.utime(target)  # stored already (the same picture at another URL): now used again
        else:
            _atomic_write(target, data)
    cached = CachedImage(
        key=key,
        url=url,
        digest=encoded.digest,
        width=encoded.width,
        height=encoded.height,
        fetched_at=time.time(),
    )
    _write_json(
        key,
        {
            "url": url,
            "digest": cached.digest,
            "width": cached.width,
            "height": cached.height,
            "fetched_at": cached.fetched_at,
        },
    )
    return cached


def touch(path: Path) -> None:
    """Mark a served file used now (its mtime, the eviction's clock), at most once per TOUCH_SECONDS."""
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > TOUCH_SECONDS:
            os.utime(path)


# --- the runner's batch --------------------------------------------------------------------------


@dataclass
class ImageReport:
    """What one batch of ``cache_lead_images`` did."""

    cached: int = 0  # stored now or already stored
    failed: int = 0  # not cached (failed now, or a recorded failure still fresh)
    skipped: int = 0  # articles with no lead image (or gone)


def cache_lead_image(article_id: int, *, fetcher: Fetcher | None = None) -> CachedImage | None:
    """Cache the lead image of one article; None when it has none or it cannot be had."""
    from newsdesk.news.models import Article

    url = Article.objects.filter(pk=article_id).values_list("lead_image", flat=True).first() or ""
    return cache_image(url, fetcher=fetcher) if url else None


def cache_lead_images(article_ids: Iterable[int], *, fetcher: Fetcher | None = None) -> ImageReport:
    """Cache the lead images of a batch of articles (one query for their URLs); for the runner.

    Idempotent: a cached picture is not fetched again, a recorded failure not before its retry time.
    """
    from newsdesk.news.models import Article

    report = ImageReport()
    ids = list(article_ids)
    urls = dict(Article.objects.filter(pk__in=ids).values_list("pk", "lead_image"))
    for article_id in ids:
        url = urls.get(article_id) or ""
        if not url:
            report.skipped += 1
        elif cache_image(url, fetcher=fetcher) is not None:
            report.cached += 1
        else:
            report.failed += 1
    return report


def wanted(url: str) -> bool:
    """Whether ``url`` would be fetched by ``cache_image`` now: not cached, no failure still fresh."""
    known = _read_meta(source_key(url))
    if isinstance(known, CachedImage) and known.url == url:
        return not known.file(ALLOWED_WIDTHS[0]).is_file()
    if isinstance(known, _Failure) and known.url == url:
        return time.time() >= known.retry_at()
    return True


def cache_recent_lead_images(limit: int = 200, *, fetcher: Fetcher | None = None) -> ImageReport:
    """Cache the lead images of the ``limit`` newest articles that have one and are not cached yet.

    For a periodic tick: it fills the cache after an import, after the cache was cleared or evicted,
    and for articles stored before the cache existed. One query, then one small file read per
    article; only the URLs ``wanted`` are fetched.
    """
    from newsdesk.news.models import Article

    rows = Article.objects.exclude(lead_image="").order_by("-sort_at").values_list("pk", "lead_image")[:limit]
    todo = [pk for pk, url in rows if url.startswith(("http://", "https://")) and wanted(url)]
    report = cache_lead_images(todo, fetcher=fetcher) if todo else ImageReport()
    return report


# --- eviction ------------------------------------------------------------------------------------


def _maybe_evict() -> None:
    global _stores
    with _fetcher_lock:
        _stores += 1
        due = _stores % EVICT_EVERY == 0
    if due:
        evict()


def _walk(folder: Path) -> Iterator[os.DirEntry[str]]:
    """The entries two levels down (``<folder>/<xx>/<entry>``), none when the folder is absent."""
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as shards:
        for shard in shards:
            if shard.is_dir(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError), os.scandir(shard.path) as entries:
                    yield from entries


def evict(max_bytes: int | None = None) -> int:
    """Keep the cache under ``max_bytes`` (default the setting): remove the pictures least recently
    used, whole (original and variants), until it is under EVICT_TO of the bound; bytes removed.

    Also removes killed writers' temporary files and the JSON of removed pictures and of failures
    old enough to be retried anyway. Cost: one stat per file; run every EVICT_EVERY stores.
    """
    bound = int(
        max_bytes if max_bytes is not None else _limit("image_cache_max_bytes", IMAGE_CACHE_MAX_BYTES)
    )
    root = cache_root()
    now = time.time()
    groups: list[tuple[float, int, str]] = []  # (last used, bytes, folder)
    total = 0
    for entry in _walk(root / "obj"):
        if not entry.is_dir(follow_symlinks=False):
            continue
        size, used = _group_usage(Path(entry.path), now)
        groups.append((used, size, entry.path))
        total += size
    removed = 0
    if total > bound:
        groups.sort()
        for _used, size, folder in groups:
            if total - removed <= bound * EVICT_TO:
                break
            shutil.rmtree(folder, ignore_errors=True)
            removed += size
    _drop_dangling_json(root, now)
    if removed:
        log.info("image cache: removed %d bytes (%d bytes bound)", removed, bound)
    return removed


def _group_usage(folder: Path, now: float) -> tuple[int, float]:
    """(bytes, newest mtime) of one picture's files; a killed writer's old temporary file is removed."""
    size, used = 0, 0.0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder) as files:
        for file in files:
            try:
                info = file.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if file.name.startswith(_TEMP_PREFIX):
                if now - info.st_mtime > STALE_TEMP_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(file.path)
                continue
            size += info.st_size
            used = max(used, info.st_mtime)
    return size, used


def _drop_dangling_json(root: Path, now: float) -> None:
    for entry in _walk(root / "src"):
        path = Path(entry.path)
        if entry.name.startswith(_TEMP_PREFIX):
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(path)
            continue
        meta = _read_meta(path.stem)
        gone = isinstance(meta, CachedImage) and not meta.file(None).is_file()
        old_failure = isinstance(meta, _Failure) and now >= meta.retry_at()
        if gone or old_failure:
            with contextlib.suppress(OSError):
                path.unlink()
