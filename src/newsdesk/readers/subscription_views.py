"""The reader's subscriptions page and its actions: add by address, folders, rules, fetch options, OPML.

For the signed-in reader only: every row is looked up with ``user=`` (another reader's id is a 404).
Every change is a POST behind CSRF with a redirect back, so it all works without JavaScript; a form
with errors is shown again with them. "Refresh now" and a new feed's first fetch are queued through
the task runner (readers.subscriptions), so no request waits on a feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from newsdesk.readers import reading, rules, subscriptions
from newsdesk.readers.forms import (
    AddSubscriptionForm,
    FetchOptionsForm,
    FolderForm,
    OpmlImportForm,
    RulesForm,
    SubscriptionForm,
)
from newsdesk.readers.models import Folder, Subscription
from newsdesk.readers.options import page_size
from newsdesk.readers.subscriptions import SubscriptionError
from newsdesk.readers.views import _back


def _subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    try:
        return subscriptions.own_subscription(request.user, subscription_id)
    except Subscription.DoesNotExist:
        raise Http404("No such subscription of yours.") from None


def _folder(request: HttpRequest, folder_id: int) -> Folder:
    return get_object_or_404(Folder, pk=folder_id, user=request.user)


# --- the list ------------------------------------------------------------------------------------


@dataclass
class FolderGroup:
    """One folder (None: the subscriptions in none) with its subscriptions and their unread total."""

    folder: Folder | None
    items: list[Subscription] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(getattr(sub, "unread", 0) for sub in self.items)


def _groups(user: Any) -> tuple[list[FolderGroup], list[Folder]]:
    """Folders in name order (empty ones too), then the subscriptions in no folder; four queries."""
    folders = list(subscriptions.folders_of(user))
    by_folder = {folder.pk: FolderGroup(folder) for folder in folders}
    loose = FolderGroup(None)
    unread = subscriptions.unread_by_feed(user)
    for sub in subscriptions.subscriptions_of(user):
        sub.unread = unread.get(sub.feed_id, 0)  # type: ignore[attr-defined]
        (by_folder[sub.folder_id] if sub.folder_id else loose).items.append(sub)
    groups = list(by_folder.values())
    return ([*groups, loose] if loose.items else groups), folders


def _list(request: HttpRequest, **forms: Any) -> HttpResponse:
    groups, folders = _groups(request.user)
    context = {
        "groups": groups,
        "folders": folders,
        "count": sum(len(group.items) for group in groups),
        "add_form": forms.get("add_form") or AddSubscriptionForm(),
        "folder_form": forms.get("folder_form") or FolderForm(),
        "opml_form": forms.get("opml_form") or OpmlImportForm(),
    }
    return render(request, "readers/subscriptions.html", context)


@login_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    """Every subscription by folder, with unread counts, health and the last error in full."""
    return _list(request)


@login_required
@require_POST
def subscription_add(request: HttpRequest) -> HttpResponse:
    form = AddSubscriptionForm(request.POST)
    if form.is_valid():
        try:
            sub = subscriptions.subscribe(
                request.user, form.cleaned_data["url"], folder_name=form.cleaned_data["folder"] or None
            )
        except SubscriptionError as error:
            form.add_error("url", str(error))
        else:
            messages.success(request, f"Subscribed to {sub.name}. Its articles are being fetched.")
            return redirect("readers:subscription", sub.pk)
    return _list(request, add_form=form)


# --- one subscription ----------------------------------------------------------------------------


def _detail(request: HttpRequest, sub: Subscription, **forms: Any) -> HttpResponse:
    feed = sub.feed
    context = {
        "sub": sub,
        "feed": feed,
        "folders": subscriptions.folders_of(request.user),
        "subscribers": Subscription.objects.filter(feed=feed).count(),
        "options_refusal": subscriptions.fetch_options_refusal(request.user, feed),
        "edit_form": forms.get("edit_form")
        or SubscriptionForm(initial={"title": sub.title, "folder": sub.folder.name if sub.folder else ""}),
        "rules_form": forms.get("rules_form")
        or RulesForm(
            initial={
                "block_rules": sub.block_rules,
                "keep_rules": sub.keep_rules,
                "rewrite_rules": sub.rewrite_rules,
            }
        ),
        "options_form": forms.get("options_form")
        or FetchOptionsForm(
            initial={
                "user_agent": feed.user_agent,
                "fetch_full_text": feed.fetch_full_text,
                "body_selector": feed.body_selector,
            }
        ),
    }
    return render(request, "readers/subscription.html", context)


@login_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    return _detail(request, _subscription(request, subscription_id))


def _apply_edit(request: HttpRequest, sub: Subscription, data: dict[str, Any]) -> str:
    subscriptions.rename(sub, data["title"])
    subscriptions.move(sub, data["folder"] or None)
    return f"Saved: {sub.name}, {f'in {sub.folder.name}' if sub.folder else 'in no folder'}."


def _apply_rules(request: HttpRequest, sub: Subscription, data: dict[str, Any]) -> str:
    subscriptions.set_rules(
        sub, block=data["block_rules"], keep=data["keep_rules"], rewrite=data["rewrite_rules"]
    )
    return "Rules saved: they apply to what you are shown from now on."


def _apply_options(request: HttpRequest, sub: Subscription, data: dict[str, Any]) -> str:
    subscriptions.set_fetch_options(request.user, sub.feed, **data)
    return "Fetch options saved: the next refresh uses them."


Apply = Callable[[HttpRequest, Subscription, dict[str, Any]], str]

#: Each settings form of a subscription page: its form, its name in the page, what saving does.
SETTINGS: dict[str, tuple[type[forms.Form], str, Apply]] = {
    "edit": (SubscriptionForm, "edit_form", _apply_edit),
    "rules": (RulesForm, "rules_form", _apply_rules),
    "options": (FetchOptionsForm, "options_form", _apply_options),
}


@login_required
@require_POST
def subscription_change(request: HttpRequest, subscription_id: int, part: str) -> HttpResponse:
    """Save one settings form of a subscription and say so, or show the page again with its errors."""
    sub = _subscription(request, subscription_id)
    form_class, key, apply = SETTINGS[part]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            done = apply(request, sub, form.cleaned_data)
        except (SubscriptionError, rules.RuleError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect("readers:subscription", sub.pk)
    return _detail(request, sub, **{key: form})


@login_required
@require_POST
def subscription_refresh(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Queue a refresh and answer at once; the feed is fetched by the task runner."""
    sub = _subscription(request, subscription_id)
    messages.info(request, subscriptions.refresh_now(sub))
    return _back(request, reverse("readers:subscription", args=[sub.pk]))


@login_required
@require_POST
def subscription_remove(request: HttpRequest, subscription_id: int) -> HttpResponse:
    sub = _subscription(request, subscription_id)
    name = sub.name
    subscriptions.unsubscribe(sub)
    messages.success(request, f"Unsubscribed from {name}.")
    return redirect("readers:subscriptions")


# --- reading -------------------------------------------------------------------------------------


def _articles(request: HttpRequest, page: str | None, articles: Any, context: dict[str, Any]) -> HttpResponse:
    listed = reading.article_list(articles).annotate(is_read=reading.is_read(request.user))
    context["page"] = Paginator(listed.order_by("-sort_at", "-id"), page_size()).get_page(page)
    return render(request, "readers/subscription_articles.html", context)


@login_required
def subscription_articles(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The feed's articles as this reader sees them (their rules applied), newest first."""
    page = request.GET.get("page")
    sub = _subscription(request, subscription_id)
    articles = subscriptions.subscribed_articles(request.user, feed=sub.feed)
    return _articles(request, page, articles, {"sub": sub, "heading": sub.name})


@login_required
def folder_articles(request: HttpRequest, folder_id: int) -> HttpResponse:
    """Every article of the folder's subscriptions as this reader sees them, newest first."""
    page = request.GET.get("page")
    folder = _folder(request, folder_id)
    articles = subscriptions.subscribed_articles(request.user, folder=folder)
    return _articles(request, page, articles, {"folder": folder, "heading": folder.name})


@login_required
def subscription_read(request: HttpRequest, subscription_id: int, article_id: int) -> HttpResponse:
    """One article of the feed with the reader's rewrite rules applied to its text (opened: read)."""
    sub = _subscription(request, subscription_id)
    article = get_object_or_404(
        subscriptions.subscribed_articles(request.user, feed=sub.feed).select_related("source"), pk=article_id
    )
    reading.mark_opened(request.user, article)
    context = {"sub": sub, "article": article, "shown": subscriptions.shown_html(request.user, article)}
    return render(request, "readers/subscription_read.html", context)


# --- folders -------------------------------------------------------------------------------------


@login_required
@require_POST
def folder_create(request: HttpRequest) -> HttpResponse:
    form = FolderForm(request.POST)
    if form.is_valid():
        try:
            folder = subscriptions.create_folder(request.user, form.cleaned_data["name"])
        except SubscriptionError as error:
            form.add_error("name", str(error))
        else:
            messages.success(
                request, f"Folder {folder.name} made. Move subscriptions into it from their pages."
            )
            return redirect("readers:subscriptions")
    return _list(request, folder_form=form)


@login_required
@require_POST
def folder_rename(request: HttpRequest, folder_id: int) -> HttpResponse:
    folder = _folder(request, folder_id)
    form = FolderForm(request.POST)
    if form.is_valid():
        try:
            subscriptions.rename_folder(folder, form.cleaned_data["name"])
        except SubscriptionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Folder renamed {folder.name}.")
    else:
        messages.error(request, "A folder needs a name of at most 200 characters.")
    return redirect("readers:subscriptions")


@login_required
@require_POST
def folder_delete(request: HttpRequest, folder_id: int) -> HttpResponse:
    folder = _folder(request, folder_id)
    moved = subscriptions.delete_folder(folder)
    kept = f" Its {moved} subscription{'s' if moved != 1 else ''} stay, in no folder." if moved else ""
    messages.success(request, f"Folder {folder.name} deleted.{kept}")
    return redirect("readers:subscriptions")


# --- OPML ----------------------------------------------------------------------------------------


@login_required
@require_POST
def opml_import(request: HttpRequest) -> HttpResponse:
    """Subscribe to every feed of an uploaded OPML file; a file that cannot be read changes nothing."""
    form = OpmlImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            report = subscriptions.import_opml(request.user, form.cleaned_data["opml"])
        except SubscriptionError as error:
            form.add_error("opml", str(error))
        else:
            messages.success(request, _import_summary(report))
            for skipped in report.skipped[:20]:
                messages.warning(request, f"Skipped {skipped}")
            return redirect("readers:subscriptions")
    return _list(request, opml_form=form)


def _import_summary(report: subscriptions.ImportReport) -> str:
    parts = [f"Imported {report.added} subscription{'s' if report.added != 1 else ''}"]
    if report.folders:
        parts.append(f"in {len(report.folders)} new folder{'s' if len(report.folders) != 1 else ''}")
    summary = " ".join(parts) + "."
    if report.already:
        summary += f" {report.already} you had already."
    if report.skipped:
        summary += f" {len(report.skipped)} skipped (below)."
    return summary


@login_required
def opml_export(request: HttpRequest) -> HttpResponse:
    """The reader's subscriptions with their folders, as an OPML file to download."""
    response = HttpResponse(
        subscriptions.export_subscriptions(request.user), content_type="text/x-opml; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="newsdesk-subscriptions.opml"'
    return response
