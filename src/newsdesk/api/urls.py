from django.urls import path

from newsdesk.api import views

app_name = "api"
urlpatterns = [
    path("articles", views.article_list, name="articles"),
    path("articles/<int:article_id>", views.article_detail, name="article"),
    path("articles/<int:article_id>/related", views.article_related, name="related"),
    path("stories", views.story_list, name="stories"),
    path("stories/<int:story_id>", views.story_detail, name="story"),
]
