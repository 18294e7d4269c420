"""The reader's own pages (My desk, saved, history, notifications, alerts) and their POST actions.

Every page is for the signed-in reader only and shows nothing of anyone else. Every change is a
POST behind CSRF, with a plain redirect back, so all of it works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from newsdesk.news.models import Article
from newsdesk.readers import reading, subscriptions
from newsdesk.readers.forms import AlertRuleForm, FollowForm
from newsdesk.readers.models import AlertKind, AlertRule, Delivery, DeliveryAttempt, Notification
from newsdesk.readers.options import page_size


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """To the page the form was on (same site only), else the default."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def _me(request: HttpRequest) -> Any:
    """The signed-in reader (login_required guards every caller)."""
    return request.user


def _page(request: HttpRequest, items: object) -> object:
    return Paginator(items, page_size()).get_page(request.GET.get("page"))  # type: ignore[arg-type]


# --- pages ---------------------------------------------------------------------------------------


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """What the reader follows, newest first, with unread counts per followed thing and in total."""
    unread_only = request.GET.get("show") == "unread"
    follows = list(reading.follows_with_unread(request.user))
    rules = subscriptions.rule_filter(request.user)
    any_followed = bool(follows) or rules.subscribed > 0
    articles = reading.desk_articles(request.user, unread_only=unread_only, rules=rules)
    context = {
        "follows": follows,
        "subscribed": rules.subscribed,
        "any_followed": any_followed,
        "unread_total": reading.unread_total(request.user, rules=rules) if any_followed else 0,
        "unread_only": unread_only,
        "page": _page(request, articles) if any_followed else None,
    }
    return render(request, "readers/desk.html", context)


@login_required
def saved(request: HttpRequest) -> HttpResponse:
    return render(
        request, "readers/saved.html", {"page": _page(request, reading.saved_articles(request.user))}
    )


@login_required
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "readers/history.html", {"page": _page(request, reading.history(request.user))})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = (
        Notification.objects.filter(user=_me(request))
        .select_related("rule", "article__source")
        .defer("article__html", "article__text", "article__summary")
    )
    return render(
        request, "readers/notifications.html", {"page": _page(request, items.order_by("-created_at", "-id"))}
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=_me(request), read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, "All notifications are marked read.")
    return redirect("readers:notifications")


# --- article actions ----------------------------------------------------------------------------


def _article(article_id: int) -> Article:
    return get_object_or_404(Article.objects.only("id"), pk=article_id)


@login_required
@require_POST
def article_read(request: HttpRequest, article_id: int) -> HttpResponse:
    reading.mark_read(request.user, _article(article_id))
    return _back(request, reverse("readers:desk"))


@login_required
@require_POST
def article_unread(request: HttpRequest, article_id: int) -> HttpResponse:
    """Unread again; back to My desk, since going back to the article would read it again."""
    reading.mark_unread(request.user, _article(article_id))
    messages.success(request, "Marked unread.")
    default = reverse("readers:desk")
    if (request.POST.get("next") or "").startswith(reverse("news:article", args=[article_id])):
        return HttpResponseRedirect(default)
    return _back(request, default)


@login_required
@require_POST
def article_save(request: HttpRequest, article_id: int) -> HttpResponse:
    reading.save_article(request.user, _article(article_id))
    messages.success(request, "Saved. Your saved articles are under Saved on My desk.")
    return _back(request, reverse("readers:saved"))


@login_required
@require_POST
def article_unsave(request: HttpRequest, article_id: int) -> HttpResponse:
    reading.unsave_article(request.user, _article(article_id))
    messages.success(request, "Removed from your saved articles.")
    return _back(request, reverse("readers:saved"))


# --- follows ---------------------------------------------------------------------------------------


def _follow_target(request: HttpRequest) -> object:
    form = FollowForm(request.POST)
    if not form.is_valid():
        raise Http404("Nothing to follow.")
    model = reading.FOLLOW_MODELS[form.cleaned_data["kind"]]
    return get_object_or_404(model, pk=form.cleaned_data["target"])


@login_required
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    target = _follow_target(request)
    reading.follow(request.user, target)  # type: ignore[arg-type]
    messages.success(request, f"Following {target}. Its articles are on My desk.")
    return _back(request, reverse("readers:desk"))


@login_required
@require_POST
def unfollow(request: HttpRequest) -> HttpResponse:
    target = _follow_target(request)
    reading.unfollow(request.user, target)  # type: ignore[arg-type]
    messages.success(request, f"No longer following {target}.")
    return _back(request, reverse("readers:desk"))


# --- alert rules -----------------------------------------------------------------------------------


def _prefilled(request: HttpRequest) -> dict[str, str]:
    """A new rule's form filled from a link ("Alert me" beside a follow button)."""
    initial = {
        key: request.GET[key]
        for key in ("kind", "keyword", "tag_name", "entity_name", "source_name")
        if key in request.GET
    }
    if initial.get("kind") in AlertKind.values and "name" not in initial:
        target = next((v for k, v in initial.items() if k != "kind"), "")
        initial["name"] = f"{AlertKind(initial['kind']).label}: {target}"[:100] if target else ""
    return initial


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    """The reader's rules, and a form for a new one."""
    form = AlertRuleForm(request.POST or None, initial=_prefilled(request))
    if request.method == "POST" and form.is_valid():
        form.instance.user = request.user
        rule = form.save()
        messages.success(request, f"Alert “{rule.name}” is on.")
        return redirect("readers:alert", rule.pk)
    rules = AlertRule.objects.filter(user=_me(request)).select_related("tag", "entity", "source")
    return render(request, "readers/alerts.html", {"form": form, "rules": rules})


@login_required
def alert_detail(request: HttpRequest, rule_id: int) -> HttpResponse:
    """One rule: edit it, see its webhook secret and its recent deliveries."""
    rule = get_object_or_404(
        AlertRule.objects.select_related("tag", "entity", "source"), pk=rule_id, user=_me(request)
    )
    form = AlertRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Alert saved.")
        return redirect("readers:alert", rule.pk)
    deliveries = (
        Delivery.objects.filter(notification__rule=rule)
        .select_related("notification__article")
        .order_by("-id")[:20]
    )
    attempts = DeliveryAttempt.objects.filter(delivery__notification__rule=rule).order_by(
        "-attempted_at", "-id"
    )[:20]
    context = {"rule": rule, "form": form, "deliveries": deliveries, "attempts": attempts}
    return render(request, "readers/alert_detail.html", context)


@login_required
@require_POST
def alert_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id, user=_me(request))
    rule.delete()
    messages.success(request, f"Alert “{rule.name}” is deleted.")
    return redirect("readers:alerts")
