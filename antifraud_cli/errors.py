"""Problems with a source location, collected and raised together."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class AntifraudError(Exception):
    """One or more problems in the user's data, templates or build."""

    def __init__(self, problems: list[Problem] | Problem, summary: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.summary = summary  # the last line the CLI prints; default: how many problems, nothing changed
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(AntifraudError):
    """A command-line choice that names something the project does not have (exit code 2)."""


class ProblemList:
    """Collects problems so that every one is reported, not just the first; each distinct problem once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._seen: set[tuple] = set()

    def add(self, location: Location, message: str, hint: str | None = None) -> None:
        key = (location, message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(Problem(location, message, hint))

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.location, p.message, p.hint)

    def reject(self, problems: list[Problem]) -> None:
        """Add the problems that stop a value from being read; the caller then returns None itself."""
        self.extend(problems)

    def mark(self) -> tuple[int, frozenset]:
        """A point to come back to: a trial (a fit-to-frame layout at one scale) may be taken back whole."""
        return len(self.items), frozenset(self._seen)

    def take_back(self, mark: tuple[int, frozenset]) -> list[Problem]:
        """Remove and return what was added since `mark`, as if it had not been seen."""
        count, seen = mark
        taken, self.items[count:] = self.items[count:], []
        self._seen = set(seen)
        return taken

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise AntifraudError(self.items)
