"""Readers and conversation: accounts, roles, comments on articles and stories, moderation.

Roles: a *reader* is any active account; a *moderator* holds the ``community.moderate_comment``
permission (given by membership of the "Moderators" group, managed in the admin); an *admin* is a
superuser (``newsdesk createadmin``), who holds every permission and so moderates too.
"""
