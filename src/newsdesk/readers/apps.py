from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "newsdesk.readers"
    label = "readers"
    verbose_name = "Readers"

    def ready(self) -> None:
        from newsdesk.news.signals import article_enriched, story_updated
        from newsdesk.readers import alerts, tasks

        # dispatch_uid: the receivers stay single even if ready() runs twice (tests, autoreload).
        article_enriched.connect(alerts.on_article_enriched, dispatch_uid="readers-article-enriched")
        story_updated.connect(alerts.on_story_updated, dispatch_uid="readers-story-updated")
        tasks.register()
