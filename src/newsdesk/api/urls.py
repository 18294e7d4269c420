from django.urls import path

from newsdesk.api import views

app_name = "api"
urlpatterns = [
    path("articles", views.article_list, name="articles"),
    path("articles/<int:article_id>", views.article_detail, name="article"),
]
