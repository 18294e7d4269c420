"""Views of the community app, one module per concern: accounts, comments, moderation."""
