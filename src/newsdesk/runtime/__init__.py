"""The runtime: where tasks run, what runs them when, and the leases that keep single work single.

It belongs to no app. Each Django app registers its tasks and periodic ticks here from its
``AppConfig.ready()`` (``registry.register_task``, ``registry.register_tick``); runners are
plugins on the entry-point group ``newsdesk.runners`` (``inprocess``, ``celery``).
"""
