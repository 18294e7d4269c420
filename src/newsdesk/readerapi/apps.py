from django.apps import AppConfig


class ReaderapiConfig(AppConfig):
    name = "newsdesk.readerapi"
    label = "readerapi"
