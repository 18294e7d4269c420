"""Forms of the readers' pages: following a thing, and alert rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from newsdesk.news.models import Entity, Source, Tag
from newsdesk.readers.delivery import DeliveryError, check_webhook_url
from newsdesk.readers.models import AlertKind, AlertRule, FollowKind


class FollowForm(forms.Form):
    """What a follow or unfollow button posts."""

    kind = forms.ChoiceField(choices=FollowKind.choices)
    target = forms.IntegerField(min_value=1)


class AlertRuleForm(forms.ModelForm):
    """A rule: its kind picks which of keyword, hashtag, entity and outlet counts."""

    tag_name = forms.CharField(
        label="Hashtag", required=False, max_length=100, help_text="For a hashtag rule, e.g. #elections."
    )
    entity_name = forms.CharField(
        label="Person, organisation or place",
        required=False,
        max_length=300,
        help_text="For an entity rule: the name as Newsdesk shows it.",
    )
    source_name = forms.CharField(
        label="Outlet", required=False, max_length=253, help_text="For an outlet rule: its name or domain."
    )
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Optional: Newsdesk POSTs each match as JSON there, signed with this rule's secret.",
    )

    class Meta:
        model = AlertRule
        fields = ["name", "kind", "keyword", "email", "webhook_url", "active"]
        labels = {"email": "Email"}
        help_texts = {
            "keyword": "For a keyword rule: a word or phrase, matched as whole words in the title or text.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance
        if rule.pk:
            self.initial.setdefault("tag_name", rule.tag.name if rule.tag else "")
            self.initial.setdefault("entity_name", rule.entity.name if rule.entity else "")
            self.initial.setdefault("source_name", rule.source.name if rule.source else "")

    def clean_webhook_url(self) -> str:
        url: str = self.cleaned_data.get("webhook_url") or ""
        if url:
            try:
                check_webhook_url(url)
            except DeliveryError as refused:
                raise forms.ValidationError(str(refused)) from None
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        rule = self.instance
        rule.tag = rule.entity = rule.source = None
        if kind == AlertKind.KEYWORD:
            if not (data.get("keyword") or "").strip():
                self.add_error("keyword", "Say which word or phrase to look for.")
            data["keyword"] = (data.get("keyword") or "").strip()
        else:
            data["keyword"] = ""
        if kind == AlertKind.TAG:
            rule.tag = self._find("tag_name", _tag, "No hashtag of that name yet.")
        elif kind == AlertKind.ENTITY:
            rule.entity = self._find(
                "entity_name", _entity, "No person, organisation or place of that name yet."
            )
        elif kind == AlertKind.SOURCE:
            rule.source = self._find("source_name", _source, "No outlet of that name or domain yet.")
        return data

    def _find(self, field: str, lookup: Any, missing: str) -> Any:
        name = (self.cleaned_data.get(field) or "").strip()
        if not name:
            self.add_error(field, "This rule needs it.")
            return None
        found = lookup(name)
        if found is None:
            self.add_error(field, missing)
        return found


def _tag(name: str) -> Tag | None:
    name = name.lstrip("#")
    return Tag.objects.filter(Q(slug__iexact=name) | Q(name__iexact=name)).first()


def _entity(name: str) -> Entity | None:
    # The most mentioned first: "Paris" the city before a rare namesake.
    return Entity.objects.filter(name__iexact=name).order_by("-article_count", "id").first()


def _source(name: str) -> Source | None:
    return Source.objects.filter(Q(domain__iexact=name) | Q(name__iexact=name)).first()
