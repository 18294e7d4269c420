"""The reader's data page: download everything as one JSON file, or upload such a file to merge it.

Login required; a reader only ever sees and changes their own data. A refused file is shown with
the reason on the same page (a 400) and nothing of it is kept (exports/reader.py).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from newsdesk.exports.reader import MAX_BYTES, BadFile, export_reader, import_reader
from newsdesk.exports.schema import ReaderFile

MAX_MB = MAX_BYTES // (1024 * 1024)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST (a ``file``): import it, then back to the page saying what was done."""
    if request.method != "POST":
        return _page(request)
    try:
        report = import_reader(request.user, _uploaded(request))
    except BadFile as error:
        return _page(request, problem=f"{error}. Nothing was imported.")
    done = report.lines()
    messages.success(request, "Imported. " + " · ".join(done) if done else "The file held nothing to import.")
    return redirect("exports:page")


def _page(request: HttpRequest, problem: str = "") -> HttpResponse:
    context = {"max_mb": MAX_MB, "problem": problem}
    return render(request, "exports/page.html", context, status=400 if problem else 200)


def _uploaded(request: HttpRequest) -> bytes:
    """The uploaded file's content; raises BadFile when there is none or it is too large."""
    upload = request.FILES.get("file")
    if upload is None:
        raise BadFile("Choose a file to import")
    if (upload.size or 0) > MAX_BYTES:
        raise BadFile(f"The file is larger than {MAX_MB} MB")
    return upload.read()


@login_required
@require_GET
def download(request: HttpRequest) -> HttpResponse:
    """The reader's data file, as an attachment."""
    document = json.dumps(export_reader(request.user), ensure_ascii=False, indent=1)
    name = f"newsdesk-{request.user.get_username()}-{timezone.now():%Y-%m-%d}.json"
    response = HttpResponse(document + "\n", content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe(name)}"'
    return response


def _safe(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)


@require_GET
def file_schema(request: HttpRequest) -> JsonResponse:
    """The JSON Schema of the reader data file (for anyone writing a converter to or from it)."""
    return JsonResponse(ReaderFile.model_json_schema(), json_dumps_params={"indent": 1})
