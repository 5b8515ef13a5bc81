"""One error vocabulary (docs/DEVELOPING.md "Errors"): a role that may not act raises Django's
``PermissionDenied``, never the built-in ``PermissionError`` (an ``OSError``), and no module in
``src/`` raises, catches or handles the built-in one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "alstrial"


def _uses_of_permission_error(tree: ast.AST) -> list[int]:
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == "PermissionError"
    )


def test_no_module_uses_the_builtin_permission_error():
    found = {
        str(path.relative_to(SRC)): lines
        for path in sorted(SRC.rglob("*.py"))
        if (lines := _uses_of_permission_error(ast.parse(path.read_text(), str(path))))
    }
    assert found == {}


def test_the_check_finds_a_use():
    """The scan above can fail: it sees a raise and a handler of the built-in."""
    source = "try:\n    raise PermissionError('x')\nexcept PermissionError:\n    pass\n"
    assert _uses_of_permission_error(ast.parse(source)) == [2, 3]


@pytest.mark.parametrize("text", ["PermissionDenied('x')", "permission_error = 1"])
def test_other_names_are_not_flagged(text):
    assert _uses_of_permission_error(ast.parse(text)) == []
