"""The table of a story's kept sections (news/sections.py): no model, nothing but that module reads it."""

from django.db import migrations

CREATE = """
CREATE TABLE news_storysection (
    story_id bigint NOT NULL,
    name varchar(40) NOT NULL,
    stamp varchar(200) NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (story_id, name)
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0008_feed_fetch_options"),
    ]

    operations = [
        migrations.RunSQL(CREATE, "DROP TABLE news_storysection"),
    ]
