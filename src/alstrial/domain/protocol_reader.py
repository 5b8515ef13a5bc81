"""Typed, error-collecting access to a parsed TOML document, naming each key by its path.

The protocol parser reads every key through :class:`Table`, which records a
:class:`~alstrial.domain.errors.FieldError` (field = key path such as
``phases[1].visits[2].window_after_days``, 0-based indices) instead of stopping at the first
problem, so a trial manager sees every mistake in a file at once. Keys a table does not read are
reported as unknown (they are usually typos).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from alstrial.domain.errors import FieldError

_MISSING = object()
#: Codes (slug, phase and visit codes) appear in URLs, file names and SDTM VISIT values.
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


class Errors:
    """The list of problems found so far."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(FieldError(path, message))

    def __len__(self) -> int:
        return len(self.items)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class Table:
    """One TOML table at ``path``; reads keys with types, records errors in ``errors``."""

    def __init__(self, data: dict[str, Any], path: str, errors: Errors):
        self.data = data
        self.path = path
        self.errors = errors
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return join(self.path, name)

    def _get(self, name: str, required: bool) -> Any:
        self._seen.add(name)
        if name not in self.data:
            if required:
                self.errors.add(self.key(name), "required key is missing")
            return _MISSING
        return self.data[name]

    def string(
        self,
        name: str,
        required: bool = True,
        choices: Sequence[str] | None = None,
        code: bool = False,
    ) -> str | None:
        """A non-empty string; one of ``choices`` when given; a code (letters, digits, ``-``,
        ``_``) when ``code``."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.errors.add(self.key(name), f"must be a string, got {_type_name(value)}")
            return None
        if not value.strip():
            self.errors.add(self.key(name), "must not be empty")
            return None
        if choices is not None and value not in choices:
            self.errors.add(
                self.key(name), f"unknown value {value!r}; expected one of {', '.join(choices)}"
            )
            return None
        if code and not CODE_PATTERN.fullmatch(value):
            self.errors.add(
                self.key(name), f"use ASCII letters, digits, - and _ only, got {value!r}"
            )
            return None
        return value

    def number(
        self,
        name: str,
        required: bool = True,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
        positive: bool = False,
    ) -> Any:
        """An int (``integer``) or a number within [minimum, maximum]; ``positive`` means > 0."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        wanted = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.errors.add(self.key(name), f"must be {wanted}, got {_type_name(value)}")
            return None
        if integer and not isinstance(value, int):
            self.errors.add(self.key(name), f"must be a whole number (no decimals), got {value!r}")
            return None
        if not math.isfinite(value):  # TOML allows nan and inf; no setting means either
            self.errors.add(self.key(name), f"must be a finite number, got {value!r}")
            return None
        if positive and not value > 0:
            self.errors.add(self.key(name), f"must be greater than 0, got {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.errors.add(self.key(name), f"must be at least {minimum:g}, got {value!r}")
            return None
        if maximum is not None and value > maximum:
            self.errors.add(self.key(name), f"must be at most {maximum:g}, got {value!r}")
            return None
        return value

    def string_list(
        self,
        name: str,
        required: bool = True,
        choices: Sequence[str] | None = None,
        allow_empty: bool = False,
    ) -> tuple[str, ...] | None:
        """An array of distinct strings, each one of ``choices`` when given."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.errors.add(self.key(name), f"must be an array of strings, got {_type_name(value)}")
            return None
        if not value and not allow_empty:
            self.errors.add(self.key(name), "must not be empty")
            return None
        before = len(self.errors)
        seen: set[str] = set()
        for index, item in enumerate(value):
            path = join(self.key(name), index)
            if not isinstance(item, str):
                self.errors.add(path, f"must be a string, got {_type_name(item)}")
            elif choices is not None and item not in choices:
                self.errors.add(
                    path, f"unknown value {item!r}; expected one of {', '.join(choices)}"
                )
            elif item in seen:
                self.errors.add(path, f"{item!r} is listed twice")
            else:
                seen.add(item)
        return None if len(self.errors) > before else tuple(value)

    def integer_list(
        self, name: str, required: bool = True, minimum: int | None = None
    ) -> tuple[int, ...] | None:
        """A non-empty array of distinct whole numbers, each at least ``minimum`` when given."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list) or not value:
            self.errors.add(self.key(name), "must be a non-empty array of whole numbers")
            return None
        before = len(self.errors)
        for index, item in enumerate(value):
            path = join(self.key(name), index)
            if isinstance(item, bool) or not isinstance(item, int):
                self.errors.add(path, f"must be a whole number, got {_type_name(item)}")
            elif minimum is not None and item < minimum:
                self.errors.add(path, f"must be at least {minimum}, got {item}")
            elif value.index(item) != index:
                self.errors.add(path, f"{item} is listed twice")
        return None if len(self.errors) > before else tuple(value)

    def table(self, name: str, required: bool = True) -> Table | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.errors.add(self.key(name), f"must be a table, got {_type_name(value)}")
            return None
        return Table(value, self.key(name), self.errors)

    def tables(self, name: str, required: bool = True) -> list[Table] | None:
        """An array of tables (``[[name]]``), non-empty when required."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.errors.add(self.key(name), "must be an array of tables ([[...]] blocks)")
            return None
        if required and not value:
            self.errors.add(self.key(name), "must have at least one entry")
            return None
        return [Table(v, join(self.key(name), i), self.errors) for i, v in enumerate(value)]

    def __enter__(self) -> Table:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.finish()

    def finish(self) -> None:
        """Report every key this table holds but nobody read (most often a typo)."""
        for name in self.data:
            if name not in self._seen:
                self.errors.add(self.key(name), "unknown key (is it misspelt?)")
