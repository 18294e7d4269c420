"""The reader's desk, reading state, follows, alerts, and subscriptions with their folders."""

from django.urls import path

from newsdesk.readers import subscription_views as subs
from newsdesk.readers import views

app_name = "readers"
urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("saved/", views.saved, name="saved"),
    path("history/", views.history, name="history"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("articles/<int:article_id>/read/", views.article_read, name="read"),
    path("articles/<int:article_id>/unread/", views.article_unread, name="unread"),
    path("articles/<int:article_id>/save/", views.article_save, name="save"),
    path("articles/<int:article_id>/unsave/", views.article_unsave, name="unsave"),
    path("follow/", views.follow, name="follow"),
    path("unfollow/", views.unfollow, name="unfollow"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:rule_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:rule_id>/delete/", views.alert_delete, name="alert_delete"),
    path("subscriptions/", subs.subscription_list, name="subscriptions"),
    path("subscriptions/add/", subs.subscription_add, name="subscription_add"),
    path("subscriptions/import/", subs.opml_import, name="opml_import"),
    path("subscriptions/export.opml", subs.opml_export, name="opml_export"),
    path("subscriptions/<int:subscription_id>/", subs.subscription_detail, name="subscription"),
    path(
        "subscriptions/<int:subscription_id>/edit/",
        subs.subscription_change,
        {"part": "edit"},
        name="subscription_edit",
    ),
    path(
        "subscriptions/<int:subscription_id>/rules/",
        subs.subscription_change,
        {"part": "rules"},
        name="subscription_rules",
    ),
    path(
        "subscriptions/<int:subscription_id>/options/",
        subs.subscription_change,
        {"part": "options"},
        name="subscription_options",
    ),
    path(
        "subscriptions/<int:subscription_id>/refresh/", subs.subscription_refresh, name="subscription_refresh"
    ),
    path("subscriptions/<int:subscription_id>/remove/", subs.subscription_remove, name="subscription_remove"),
    path(
        "subscriptions/<int:subscription_id>/articles/",
        subs.subscription_articles,
        name="subscription_articles",
    ),
    path(
        "subscriptions/<int:subscription_id>/articles/<int:article_id>/",
        subs.subscription_read,
        name="subscription_read",
    ),
    path("subscriptions/folders/", subs.folder_create, name="folder_create"),
    path("subscriptions/folders/<int:folder_id>/", subs.folder_articles, name="folder"),
    path("subscriptions/folders/<int:folder_id>/rename/", subs.folder_rename, name="folder_rename"),
    path("subscriptions/folders/<int:folder_id>/delete/", subs.folder_delete, name="folder_delete"),
]
