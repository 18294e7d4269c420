"""Local enrichment: each enricher is one small class over a batch of documents (see base.py)."""
