"""The reader's desk, reading state, follows and alerts."""

from django.urls import path

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
]
