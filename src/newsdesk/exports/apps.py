from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "newsdesk.exports"
    label = "exports"
