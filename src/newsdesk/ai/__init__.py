"""AI features that answer with citations: story briefings, questions, translation (see DESIGN.md)."""
