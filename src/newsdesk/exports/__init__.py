"""Export and import: a reader's data as JSON, a research export of articles (JSON Lines, Parquet)."""
