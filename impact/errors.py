"""Errors of the impact engine.

ImpactError                 base: a message meant for the person who asked
├── UnknownComponent        a name that is not in the service map
└── MapError                a map the engine cannot compile (e.g. a dependency on a missing name)
"""

from __future__ import annotations

from collections.abc import Iterable

from impact.suggest import Suggester


class ImpactError(Exception):
    """Base of every impact-engine error; `str(error)` is fit to show to a user."""


class UnknownComponent(ImpactError, KeyError):
    """A component or business service name that the map does not contain."""

    def __init__(self, name: str, suggestions: Iterable[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown component {name!r}.{hint}")

    def __str__(self) -> str:
        # KeyError would quote the whole message; show it as written.
        return str(self.args[0])


class MapError(ImpactError):
    """The service map cannot be compiled as given."""


def close_names(name: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """Names that look like `name` (for "did you mean"), by the one suggester."""
    return Suggester(tuple(names)).close(name, limit)
