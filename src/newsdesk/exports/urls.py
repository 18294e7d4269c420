from django.urls import URLPattern, path

from newsdesk.exports import views

app_name = "exports"
urlpatterns: list[URLPattern] = [
    path("my-data/", views.page, name="page"),
    path("my-data/newsdesk-reader.json", views.download, name="download"),
    path("my-data/schema.json", views.file_schema, name="schema"),
]
