"""Errors of the pipeline, each carrying its retry meaning (permanent or not)."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error a pipeline step raises on bad input or a failed fetch.

    ``permanent`` says whether retrying can help: a feed that is gone (410) or is not
    a feed at all is permanent; a timeout or a 503 is not.
    """

    permanent: bool = False

    def __init__(self, message: str, *, permanent: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if permanent is not None:
            self.permanent = permanent

    def __str__(self) -> str:
        return self.message


class FetchError(PipelineError):
    """An HTTP fetch failed; ``status`` and ``retry_after`` (seconds) when known."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.status = status
        self.retry_after = retry_after


class BlockedAddressError(FetchError):
    """The URL resolves to a private, loopback, link-local or metadata address."""

    permanent = True


class FeedError(PipelineError):
    """The bytes are not a feed we can read (malformed, hostile, or an HTML page)."""

    permanent = True


class ExtractionError(PipelineError):
    """No article text could be extracted from a page."""

    permanent = True
