from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommunityConfig(AppConfig):
    name = "newsdesk.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from newsdesk.community import signals  # noqa: F401  (connects the receivers)
        from newsdesk.community.roles import ensure_moderators_group

        # Permissions only exist once post_migrate has run, so the group is made there too.
        post_migrate.connect(ensure_moderators_group, sender=self)
