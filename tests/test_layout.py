"""The package's shape (docs/DEVELOPING.md, "Layers"): nothing in ``src/`` exists only for tests
or benchmarks, and no package imports a layer above its own. Read from the source with ``ast``
(support code: ``tests/layout_graph.py``)."""

from __future__ import annotations

import ast

import layout_graph
import pytest
from layout_graph import (
    ImportGraph,
    Module,
    build_graph,
    imported_names,
    unused_by_package,
    upward_imports,
)


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return build_graph()


def test_every_module_in_src_is_loaded_by_the_package(graph):
    unused = unused_by_package(graph)
    lines = [f"  {name}: used by {', '.join(users) or 'nothing'}" for name, users in unused.items()]
    heading = "modules of src/ the package never loads (move them to tests/ or bench/):"
    assert not unused, "\n".join([heading, *lines])


def test_no_package_imports_a_layer_above_its_own(graph):
    found = upward_imports(graph)
    assert not found, "upward imports:\n" + "\n".join(f"  {a} imports {b}" for a, b in found)


def test_the_roots_include_the_console_script_and_what_django_loads(graph):
    reached = layout_graph.reachable_from_package(graph)
    # Loaded by name only: cli.py builds "alstrial.commands.<name>", the settings name the
    # middleware, and Django imports every app's migrations and template tags by convention.
    for name in (
        "alstrial.cli",
        "alstrial.commands.alsfrs",
        "alstrial.web.nul_bytes",
        "alstrial.web.subjects.migrations",
        "alstrial.web.safety.templatetags.safety",
    ):
        assert name in reached, name


def _fake_graph(tmp_path, sources: dict[str, str]) -> ImportGraph:
    """A graph over made-up modules: {dotted name: source}."""
    modules = {}
    graph = ImportGraph(modules)
    for name in sources:
        path = tmp_path / (name.replace(".", "/") + ".py")
        modules[name] = Module(name, path, False)
    for name, source in sources.items():
        names = imported_names(ast.parse(source), name, False)
        targets = layout_graph.alstrial_targets(names, modules) - {name}
        relative = f"src/{name.replace('.', '/')}.py"
        graph.edges[relative] = targets
        graph.file_module[relative] = name
    return graph


def test_a_module_used_only_by_a_test_is_named(tmp_path, monkeypatch):
    graph = _fake_graph(
        tmp_path,
        {
            "alstrial.cli": "import alstrial.domain.rules\n",
            "alstrial.domain.rules": (
                '"""Not alstrial.domain.helper (a docstring loads nothing)."""\n'
            ),
            "alstrial.domain.helper": "from alstrial.domain import rules\n",
        },
    )
    graph.edges["tests/test_helper.py"] = {"alstrial.domain.helper"}
    monkeypatch.setattr(layout_graph, "roots", lambda graph: {"alstrial.cli"})
    assert unused_by_package(graph) == {"alstrial.domain.helper": ["tests/test_helper.py"]}


def test_a_module_named_in_a_string_or_a_relative_import_counts_as_loaded(tmp_path, monkeypatch):
    graph = _fake_graph(
        tmp_path,
        {
            "alstrial.cli": (
                'NAMES = ("alsfrs",)\n'
                "import importlib\n"
                'for n in NAMES: importlib.import_module(f"alstrial.commands.{n}")\n'
                'MIDDLEWARE = ["alstrial.web.guard.Middleware"]\n'
            ),
            "alstrial.commands.alsfrs": "from .shared import x\n",
            "alstrial.commands.shared": "x = 1\n",
            "alstrial.web.guard": "class Middleware: ...\n",
        },
    )
    monkeypatch.setattr(layout_graph, "roots", lambda graph: {"alstrial.cli"})
    assert unused_by_package(graph) == {}


def test_an_upward_import_is_named(tmp_path):
    graph = _fake_graph(
        tmp_path,
        {
            "alstrial.domain.rules": "def f():\n    from alstrial.web.views import page\n",
            "alstrial.web.views": "from alstrial.domain.rules import f\n",
        },
    )
    assert upward_imports(graph) == [("alstrial.domain.rules", "alstrial.web.views")]
