"""Accounts (Django's auth views with Newsdesk templates), profiles, comments and moderation."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from newsdesk.community.forms import ThrottledAuthenticationForm
from newsdesk.community.views import accounts, comments, moderation

app_name = "community"


def _template(name: str) -> str:
    return f"community/{name}.html"


urlpatterns = [
    path("accounts/signup/", accounts.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name=_template("login"),
            authentication_form=ThrottledAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name=_template("password_change"),
            success_url=reverse_lazy("community:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name=_template("password_change_done")),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name=_template("password_reset"),
            email_template_name="community/password_reset_email.txt",
            subject_template_name="community/password_reset_subject.txt",
            success_url=reverse_lazy("community:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name=_template("password_reset_sent")),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=_template("password_reset_confirm"),
            success_url=reverse_lazy("community:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name=_template("password_reset_complete")),
        name="password_reset_complete",
    ),
    path("accounts/profile/", accounts.edit_profile, name="edit_profile"),
    path("people/<str:username>/", accounts.profile, name="profile"),
    path("people/<str:username>/suspend/", moderation.suspend, name="suspend"),
    path("comments/on/<str:target_type>/<int:object_id>/", comments.post, name="post"),
    path("comments/<int:comment_id>/edit/", comments.edit, name="edit"),
    path("comments/<int:comment_id>/delete/", comments.delete, name="delete"),
    path("comments/<int:comment_id>/flag/", comments.flag, name="flag"),
    path("comments/<int:comment_id>/moderate/", moderation.moderate, name="moderate"),
    path("moderation/", moderation.queue, name="moderation"),
]
