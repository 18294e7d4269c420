from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "newsdesk.runtime"
    label = "runtime"
    verbose_name = "Runtime"
