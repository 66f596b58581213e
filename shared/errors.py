"""Errors the plumbing knows how to treat."""


class RetryLater(Exception):
    """A conflict or outage that a later attempt resolves (e.g. a concurrent write won a race)."""
