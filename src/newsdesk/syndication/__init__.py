"""Feeds out: RSS 2.0 and Atom of articles, tags, entities, outlets, stories, folders, searches."""
