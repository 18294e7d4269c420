"""The search page and a reader's saved searches."""

from django.urls import path

from newsdesk.search import views

app_name = "search"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/saved/", views.saved_searches, name="saved"),
    path("search/saved/new/", views.save_search, name="save"),
    path("search/saved/<int:search_id>/delete/", views.delete_search, name="delete"),
    path("search/saved/<int:search_id>/alert/", views.alert_search, name="alert"),
]
