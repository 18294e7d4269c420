"""What the runtime keeps in the database: leases and the failures of tasks that will not be retried."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Lease(models.Model):
    """One named piece of single work (the story placer): who holds it, until when.

    ``generation`` goes up each time the lease changes hands, so a holder that gets it back knows
    whether anyone else worked in between (and so whether its in-memory state is still good).
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(default=timezone.now)
    generation = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class FailedTask(models.Model):
    """A task that failed for good (a permanent error, or out of retries): recorded and shown."""

    task = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict)
    error = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task} failed: {self.error[:80]}"
