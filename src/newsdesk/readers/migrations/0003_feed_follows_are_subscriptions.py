"""A follow of a feed becomes the reader's subscription to it, the one record of a followed feed.

Readers followed feeds (Follow, kind "feed") before subscriptions existed; each such follow becomes a
Subscription (no folder, no name of its own) and the follow row goes, so nothing is stored twice.
Backwards, each subscription becomes a feed follow again (folders, names and rules are lost).
"""

from django.db import migrations


def follows_to_subscriptions(apps, schema_editor):  # type: ignore[no-untyped-def]
    Follow = apps.get_model("readers", "Follow")
    Subscription = apps.get_model("readers", "Subscription")
    feed_follows = Follow.objects.filter(kind="feed")
    have = set(Subscription.objects.values_list("user_id", "feed_id"))
    made = [
        Subscription(user_id=user_id, feed_id=feed_id, created_at=created_at)
        for user_id, feed_id, created_at in feed_follows.values_list("user_id", "feed_id", "created_at")
        if (user_id, feed_id) not in have
    ]
    Subscription.objects.bulk_create(made, batch_size=500)
    feed_follows.delete()


def subscriptions_to_follows(apps, schema_editor):  # type: ignore[no-untyped-def]
    Follow = apps.get_model("readers", "Follow")
    Subscription = apps.get_model("readers", "Subscription")
    Follow.objects.bulk_create(
        [
            Follow(user_id=user_id, kind="feed", feed_id=feed_id, created_at=created_at)
            for user_id, feed_id, created_at in Subscription.objects.values_list(
                "user_id", "feed_id", "created_at"
            )
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("readers", "0002_subscriptions_tokens_saved_searches")]

    operations = [migrations.RunPython(follows_to_subscriptions, subscriptions_to_follows)]
