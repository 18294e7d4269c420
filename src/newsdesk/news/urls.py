from django.urls import path

from newsdesk.news import frontpage, views

app_name = "news"
urlpatterns = [
    path("", frontpage.home, name="home"),
    path("articles/<int:article_id>/", views.article_detail, name="article"),
    path("sources/<int:source_id>/", views.source_detail, name="source"),
    path("feeds/", views.feed_list, name="feeds"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    path("entities/<int:entity_id>/", views.entity_detail, name="entity"),
    path("stories/", frontpage.stories_index, name="stories"),
    path("stories/<int:story_id>/", views.story_detail, name="story"),
]
