from django.urls import URLPattern

app_name = "syndication"
urlpatterns: list[URLPattern] = []
