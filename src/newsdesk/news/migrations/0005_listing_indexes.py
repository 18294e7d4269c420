"""Indexes of the list pages: a story's timeline and coverage, near-copies, a speaker's quotes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0004_placement_and_claims"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["story", "sort_at", "id", "source"], name="article_story_timeline"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("duplicate_of__isnull", False)),
                fields=["duplicate_of"],
                name="article_copies",
            ),
        ),
        migrations.AddIndex(
            model_name="quote",
            index=models.Index(fields=["speaker", "article"], name="speaker_quotes"),
        ),
    ]
