"""The AI features' pages (newsdesk.ai.views), included at the site root."""

from django.urls import path

from newsdesk.ai import views

app_name = "ai"
urlpatterns = [
    path("ask/", views.ask, name="ask"),
    path("ask/stream", views.ask_stream, name="ask_stream"),
    path("articles/<int:article_id>/translation/", views.article_translation, name="translation"),
    path("settings/language/", views.language_settings, name="language"),
]
