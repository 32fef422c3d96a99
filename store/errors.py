"""Errors of the store package, all deriving from `StoreError`.

StoreError                 user-facing: the message names the bad value and the fix
├── MapValidationError     a map file (or parsed map) has problems; carries every one
├── SchemaOutOfDate        the database schema is older than this code
└── NotFound               an id or name that the store does not hold

Errors of the database itself stay the driver's; `database_failure(error)` tells callers
that must answer for them (webhooks) what kind they are, without importing SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError

Failure = Literal["refused", "unavailable", "error"]


class StoreError(Exception):
    """Base of every store error; `str(error)` is meant for the user."""


@dataclass(frozen=True, slots=True)
class MapError:
    """One problem in a map, e.g. location `components[3].depends_on[1]`.

    `kind` names the problem in our own words, without any value from the map, for answers
    that must not quote what a remote source sent (e.g. "YAML alias bomb").
    """

    location: str
    message: str
    kind: str = ""
    file: str | None = None  # set when the problem is in a file: where, 1-based
    line: int | None = None
    column: int | None = None

    @property
    def place(self) -> str:
        """`file:line:column` (what editors and CI annotations read), or ""."""
        if self.file is None:
            return ""
        return ":".join(str(part) for part in (self.file, self.line, self.column) if part)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{self.place}: {text}" if self.place else text


class MapValidationError(StoreError):
    """A map with problems: `errors` lists every one of them, in file order."""

    def __init__(self, errors: Sequence[MapError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        head = f"the map has {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([head, *(f"  {e}" for e in self.errors)]))


class SchemaOutOfDate(StoreError):
    """The database needs `bsm db upgrade` before this code can use it."""


class NotFound(StoreError):
    """The store holds nothing under this id or name."""


def database_failure(error: BaseException) -> Failure | None:
    """What a database error means to a caller: None when `error` is not one.

    "refused": a value the database will not store (no retry helps); "unavailable": the
    database was lost or cannot be reached (worth a retry); "error": any other.
    """
    if not isinstance(error, DBAPIError):
        return None
    if isinstance(error, DataError):
        return "refused"
    if error.connection_invalidated or isinstance(error, OperationalError | InterfaceError):
        return "unavailable"
    return "error"


def driver_error(error: BaseException) -> BaseException:
    """The driver's exception under a database error (the error itself otherwise)."""
    original = getattr(error, "orig", None)
    return original if isinstance(original, BaseException) else error


SHOWN = 60  # characters of a value quoted in an error message


def shown(value: object, limit: int = SHOWN) -> str:
    """`repr(value)` cut to `limit` characters: an error message never renders a huge value."""
    text = _short_repr(value, limit) if isinstance(value, (list, tuple, dict)) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def _short_repr(value: list[Any] | tuple[Any, ...] | dict[Any, Any], limit: int) -> str:
    """The start of a container's repr without rendering all of it."""
    parts: list[str] = []
    for item in _items(value, limit):
        parts.append(item)
        if sum(map(len, parts)) > limit:
            break
    opener, closer = "{}" if isinstance(value, dict) else "()" if isinstance(value, tuple) else "[]"
    more = ", ..." if len(value) > len(parts) else ""
    return f"{opener}{', '.join(parts)}{more}{closer}"


def _items(value: list[Any] | tuple[Any, ...] | dict[Any, Any], limit: int) -> Iterator[str]:
    """Each item's bounded repr, made only when asked for (a shared bomb stays unwalked)."""
    if isinstance(value, dict):
        for key, item in islice(value.items(), limit):
            yield f"{shown(key, limit)}: {shown(item, limit)}"
    else:
        for item in islice(value, limit):
            yield shown(item, limit)
