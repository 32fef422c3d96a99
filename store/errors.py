"""Errors of the store package, all deriving from `StoreError`.

StoreError                 user-facing: the message names the bad value and the fix
├── MapValidationError     a map file (or parsed map) has problems; carries every one
├── SchemaOutOfDate        the database schema is older than this code
└── NotFound               an id or name that the store does not hold
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class StoreError(Exception):
    """Base of every store error; `str(error)` is meant for the user."""


@dataclass(frozen=True, slots=True)
class MapError:
    """One problem in a map, e.g. location `components[3].depends_on[1]`."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


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
