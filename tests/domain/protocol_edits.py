"""Editing the shipped Kim 2009 protocol document into broken variants, for the error tests.

Kim's file layout: phases[0] screening (SCR), phases[1] lead-in (LI0, LI1, HARV1, HARV2),
phases[2] treatment (INJ1, INJ2), phases[3] follow-up (FU2, FU3).
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from alstrial.domain.protocol import ProtocolError, protocol_from_dict

KIM = Path(__file__).resolve().parents[2] / "protocols" / "kim2009.toml"
MAZZINI = KIM.with_name("mazzini2003.toml")
BASE = tomllib.loads(KIM.read_text())
BASE_MAZZINI = tomllib.loads(MAZZINI.read_text())
P1V1 = ("phases", 1, "visits", 1)


def kim_copy() -> dict:
    return copy.deepcopy(BASE)


def visit(d, phase, index):
    return d["phases"][phase]["visits"][index]


def errors_of(data, source="kim.toml") -> dict[str, list[str]]:
    """The ``by_field()`` of the ProtocolError ``data`` must raise; checks that every message
    names the file, the key and the reason."""
    with pytest.raises(ProtocolError) as info:
        protocol_from_dict(data, source=source)
    error = info.value
    for field_error, message in zip(error.errors, error.messages(), strict=True):
        assert message == f"{source}: {field_error.field}: {field_error.message}"
    return error.by_field()


def delete(path):
    """An edit deleting the key at ``path``."""

    def mutate(d):
        *parents, last = path
        target = d
        for key in parents:
            target = target[key]
        del target[last]

    return mutate


def put(path, value):
    """An edit setting the key at ``path`` to ``value``."""

    def mutate(d):
        *parents, last = path
        target = d
        for key in parents:
            target = target[key]
        target[last] = value

    return mutate


def assert_case(mutate, key: str, reason: str) -> None:
    """Apply ``mutate`` to a copy of Kim 2009; the error at ``key`` must contain ``reason``."""
    data = kim_copy()
    mutate(data)
    errors = errors_of(data)
    assert key in errors, errors
    assert any(reason in message for message in errors[key]), errors[key]
