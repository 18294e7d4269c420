"""The cached pictures' addresses: ``/img/<key>/<width>/`` (included at the site root by desk/urls.py)."""

from django.urls import path

from newsdesk.news import image_views

urlpatterns = [
    path("img/<str:signature>/<int:width>/", image_views.image, name="cached_image"),
]
