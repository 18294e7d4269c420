"""Forms: Django's auth forms extended where Newsdesk needs more, and the comment forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from newsdesk.community.models import Comment, FlagReason, Profile
from newsdesk.community.throttle import login_blocked

LOGIN_THROTTLED_MESSAGE = (
    "Too many failed log-in attempts for this account or from this address. "
    "Wait 15 minutes, or reset your password."
)


def clean_name(raw: str) -> str:
    """One line of printable text: control and bidi (format) characters could disguise one name as another."""
    name = " ".join(str(raw).split())
    return "".join(ch for ch in name if ch.isprintable())


class ThrottledAuthenticationForm(AuthenticationForm):
    """Says plainly when log-ins are throttled (the backend enforces it for every login page)."""

    def clean(self) -> dict[str, Any]:
        if login_blocked(self.request, self.data.get("username")):
            raise forms.ValidationError(LOGIN_THROTTLED_MESSAGE, code="throttled")
        return super().clean()


class SignUpForm(UserCreationForm):
    """A username, an email for password resets, a display name and a password twice."""

    email = forms.EmailField(help_text="Only used to reset your password; never shown to others.")
    display_name = forms.CharField(
        max_length=80, required=False, help_text="Shown beside your comments; your username if empty."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_display_name(self) -> str:
        return clean_name(self.cleaned_data["display_name"])

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            Profile.objects.update_or_create(
                user=user, defaults={"display_name": self.cleaned_data["display_name"]}
            )
        return user


class ProfileForm(forms.ModelForm):
    """A reader's own profile, with the email address only they see."""

    email = forms.EmailField(help_text="Only used to reset your password; never shown to others.")

    class Meta:
        model = Profile
        fields = ("display_name", "bio")
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.user.email

    def clean_display_name(self) -> str:
        return clean_name(self.cleaned_data["display_name"])

    def save(self, commit: bool = True) -> Profile:
        profile: Profile = super().save(commit=commit)
        profile.user.email = self.cleaned_data["email"]
        if commit:
            profile.user.save(update_fields=["email"])
        return profile


class CommentForm(forms.Form):
    """A new comment or a reply; the parent is the comment replied to."""

    body = forms.CharField(
        label="Comment",
        max_length=5000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown: *emphasis*, **strong**, `code`, [links](https://…), lists and > quotes.",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EditCommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ("body",)
        labels = {"body": "Comment"}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


class FlagForm(forms.Form):
    reason = forms.ChoiceField(choices=FlagReason.choices, initial=FlagReason.OTHER)
