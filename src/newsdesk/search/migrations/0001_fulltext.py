"""The full-text index of articles, kept current by triggers on news_article, and filled for those stored.

SQLite: an FTS5 table with news_article as its external content, and triggers after insert, delete
and each change of the title or text. PostgreSQL: search_document (one tsvector per article, under
its language's text-search configuration: search_config_for) with a GIN index, search_config (the
configurations in use), and triggers after insert, delete, truncate and each change of the title,
text or language. Both fill the index from the articles already stored (the backfill) here.
The SQL is written out in this file so that the migration stays what it was when later ones change it.
"""

from django.db import migrations

# ISO 639-1 code -> PostgreSQL text-search configuration (those this server lacks are left out).
LANGUAGE_CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish", "nl": "dutch",
    "en": "english", "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE search_article_fts USING fts5(
        title, text, content='news_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_article_fts_insert AFTER INSERT ON news_article BEGIN
        INSERT INTO search_article_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER search_article_fts_delete AFTER DELETE ON news_article BEGIN
        INSERT INTO search_article_fts(search_article_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER search_article_fts_update AFTER UPDATE OF title, text ON news_article
    WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
        INSERT INTO search_article_fts(search_article_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO search_article_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    "INSERT INTO search_article_fts(search_article_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_article_fts_insert",
    "DROP TRIGGER IF EXISTS search_article_fts_delete",
    "DROP TRIGGER IF EXISTS search_article_fts_update",
    "DROP TABLE IF EXISTS search_article_fts",
]

# A text longer than this is indexed by its beginning (a tsvector holds at most 1 MB).
POSTGRES_TEXT_CHARS = 200_000


def postgres_create(configs: dict[str, str]) -> list[str]:
    cases = " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in sorted(configs.items()))
    return [
        f"""CREATE FUNCTION search_config_for(lang text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE lower(split_part(replace(coalesce(lang, ''), '_', '-'), '-', 1))
        {cases} ELSE 'simple'::regconfig END $$""",
        """CREATE TABLE search_document (
            article_id bigint PRIMARY KEY, config regconfig NOT NULL, document tsvector NOT NULL)""",
        "CREATE INDEX search_document_gin ON search_document USING gin (document)",
        "CREATE TABLE search_config (config regconfig PRIMARY KEY)",
        f"""CREATE FUNCTION search_document_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE cfg regconfig := search_config_for(NEW.language);
        BEGIN
            INSERT INTO search_document (article_id, config, document) VALUES (
                NEW.id, cfg,
                setweight(to_tsvector(cfg, coalesce(NEW.title, '')), 'A')
                || setweight(to_tsvector(cfg, left(coalesce(NEW.text, ''), {POSTGRES_TEXT_CHARS})), 'B'))
            ON CONFLICT (article_id) DO UPDATE SET config = EXCLUDED.config, document = EXCLUDED.document;
            INSERT INTO search_config (config) VALUES (cfg) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$""",
        """CREATE FUNCTION search_document_forget() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM search_document;
            ELSE
                DELETE FROM search_document WHERE article_id = OLD.id;
            END IF;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER search_document_insert AFTER INSERT ON news_article
        FOR EACH ROW EXECUTE FUNCTION search_document_refresh()""",
        """CREATE TRIGGER search_document_update AFTER UPDATE OF title, text, language ON news_article
        FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.text IS DISTINCT FROM NEW.text
            OR OLD.language IS DISTINCT FROM NEW.language)
        EXECUTE FUNCTION search_document_refresh()""",
        """CREATE TRIGGER search_document_delete AFTER DELETE ON news_article
        FOR EACH ROW EXECUTE FUNCTION search_document_forget()""",
        """CREATE TRIGGER search_document_truncate AFTER TRUNCATE ON news_article
        FOR EACH STATEMENT EXECUTE FUNCTION search_document_forget()""",
        f"""INSERT INTO search_document (article_id, config, document)
        SELECT id, search_config_for(language),
            setweight(to_tsvector(search_config_for(language), coalesce(title, '')), 'A')
            || setweight(to_tsvector(search_config_for(language),
                                     left(coalesce(text, ''), {POSTGRES_TEXT_CHARS})), 'B')
        FROM news_article""",
        "INSERT INTO search_config (config) SELECT DISTINCT config FROM search_document ON CONFLICT DO NOTHING",
    ]


POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS search_document_insert ON news_article",
    "DROP TRIGGER IF EXISTS search_document_update ON news_article",
    "DROP TRIGGER IF EXISTS search_document_delete ON news_article",
    "DROP TRIGGER IF EXISTS search_document_truncate ON news_article",
    "DROP FUNCTION IF EXISTS search_document_refresh()",
    "DROP FUNCTION IF EXISTS search_document_forget()",
    "DROP TABLE IF EXISTS search_document",
    "DROP TABLE IF EXISTS search_config",
    "DROP FUNCTION IF EXISTS search_config_for(text)",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT cfgname FROM pg_ts_config")
            present = {name for (name,) in cursor.fetchall()}
            statements = postgres_create({k: v for k, v in LANGUAGE_CONFIGS.items() if v in present})
        else:
            statements = SQLITE_CREATE
        for statement in statements:
            cursor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in POSTGRES_DROP if connection.vendor == "postgresql" else SQLITE_DROP:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("news", "0008_feed_fetch_options")]

    operations = [migrations.RunPython(forwards, backwards)]
