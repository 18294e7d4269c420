from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NewsConfig(AppConfig):
    name = "newsdesk.news"
    label = "news"
    verbose_name = "News"

    def ready(self) -> None:
        from newsdesk.news import tasks
        from newsdesk.news.registry import seed_sources

        post_migrate.connect(seed_sources, sender=self)
        tasks.register()
