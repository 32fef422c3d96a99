"""Errors of sync sources; `str(error)` is for the user and names the URL or field.

SourceError              a source could not be read (base)
├── SourceUnreachable    connection refused, timeout, DNS, HTTP 5xx after retries
└── SourceResponseError  the source answered, but not in the documented format
"""

from __future__ import annotations


class SourceError(Exception):
    """A sync source could not be read; nothing in the map was changed."""


class SourceUnreachable(SourceError):
    pass


class SourceResponseError(SourceError):
    pass
