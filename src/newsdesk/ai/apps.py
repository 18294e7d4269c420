from django.apps import AppConfig


class AIConfig(AppConfig):
    name = "newsdesk.ai"
    label = "ai"
    verbose_name = "AI"

    def ready(self) -> None:
        from newsdesk.ai import tasks

        tasks.register()
