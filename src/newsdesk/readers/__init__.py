"""Readers' own desk: reading state, saved articles, follows, alert rules and their deliveries."""
