"""``/img/<key>/<width>/``: a cached picture, served by Newsdesk itself, never fetched on request.

The key is the source URL's HMAC with the secret key (``images.source_key``), so an address
cannot be made up for a URL of one's choosing; and the view only reads the cache, so even a valid
key makes no request anywhere: ``/img/`` is no proxy. A picture not cached yet (or evicted, or one
whose fetch failed) answers 404 at once, with a short cache time, instead of making a web worker
wait on an outlet's image host: the runner caches lead images after articles are stored, and the
template tags give an address only for a picture that is cached, so pages do not link to misses.

A variant's bytes never change under its address while cached (a picture is fetched once), so it is
served ``immutable`` for a year, with an ETag of its content digest for revalidation.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

from newsdesk.news import images

CACHE_FOREVER = "public, max-age=31536000, immutable"
CACHE_MISS = "public, max-age=300"  # a miss may be cached soon: look again in a few minutes


def _not_found() -> HttpResponse:
    response = HttpResponse(b"no such image\n", status=404, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = CACHE_MISS
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def image(request: HttpRequest, signature: str, width: int) -> HttpResponseBase:
    """The WebP variant of the picture keyed ``signature``, ``width`` pixels wide (an allowed width)."""
    if width not in images.ALLOWED_WIDTHS:
        return _not_found()
    cached = images.lookup_key(signature)
    if cached is None:
        return _not_found()
    path = cached.file(width)
    etag = f'"{cached.digest[:32]}-{width}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        try:
            handle = path.open("rb")
        except OSError:  # evicted between the lookup and now
            return _not_found()
        response = FileResponse(handle, content_type=images.CONTENT_TYPE)
        images.touch(path)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_FOREVER
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
