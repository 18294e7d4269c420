from django.urls import URLPattern

app_name = "readerapi"
urlpatterns: list[URLPattern] = []
