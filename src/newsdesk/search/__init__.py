"""Full-text search over articles (SQLite FTS5 embedded, PostgreSQL full-text search scaled out)."""
