"""Who imports whom in the repository, read from the source with ``ast`` (nothing is imported).

Support for ``tests/test_layout.py`` (docs/DEVELOPING.md, "Layers"). Run it as a script to print
the modules of ``src/alstrial`` that the package itself never loads::

    .venv/bin/python tests/layout_graph.py

A module counts as loaded by the package when it is reachable from a root through imports made
inside ``src/``. The roots are what starts alstrial or what Django loads by name: the console
script in ``pyproject.toml``, the settings modules, and in every installed app the modules Django
finds by convention (``apps``, ``models``, ``admin``, ``urls``, ``migrations``, management
commands, template tags). Besides ``import`` statements, a string constant naming an alstrial
module (``INSTALLED_APPS``, ``ROOT_URLCONF``, middleware paths, ``include("...")``,
``importlib.import_module("...")``, ``python -m ...`` arguments) is an edge too.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = "alstrial"

#: Module names loaded by convention inside an installed app: Django's, and ``demo`` (the demo
#: hook that ``alstrial.web.core.demo`` imports from every installed app that has one).
DJANGO_CONVENTION_MODULES = ("apps", "models", "admin", "urls", "signals", "checks", "demo")
#: Folders whose modules Django imports by convention inside an installed app.
DJANGO_CONVENTION_FOLDERS = ("migrations", "management", "templatetags")

#: A string that names an alstrial module (possibly followed by an attribute, e.g. a class).
_DOTTED = re.compile(r"\balstrial(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


@dataclass(frozen=True)
class Module:
    """One Python file: its dotted name (``alstrial.web.urls``) and where it lives."""

    name: str
    path: Path
    is_package: bool


@dataclass
class ImportGraph:
    """Modules of ``src/`` and, for each importing file, the alstrial modules it names."""

    modules: dict[str, Module]
    #: importing file (repository-relative path) -> alstrial modules it imports or names
    edges: dict[str, set[str]] = field(default_factory=dict)
    #: dotted name of each file of ``src/`` (repository-relative path -> module name)
    file_module: dict[str, str] = field(default_factory=dict)

    def importers(self, module: str) -> set[str]:
        """The files (repository-relative paths) that import or name ``module``."""
        return {path for path, targets in self.edges.items() if module in targets}


def module_name(path: Path) -> str:
    """``src/alstrial/web/urls.py`` -> ``alstrial.web.urls``; an ``__init__`` -> its package."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Module]:
    """Every module of ``src/alstrial`` by dotted name."""
    modules = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        name = module_name(path)
        modules[name] = Module(name, path, path.name == "__init__.py")
    return modules


def _resolve_relative(importer: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from .target import ...`` written in module ``importer``."""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _longest_module(name: str, modules: dict[str, Module]) -> str | None:
    """The longest prefix of the dotted ``name`` that is a module (``a.b.Class`` -> ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    """``id()`` of the docstring nodes: a module named in prose is not loaded."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            found.add(id(body[0].value))
    return found


def _formatted_names(tree: ast.AST, constants: set[str]) -> set[str]:
    """Names built at run time as ``f"alstrial.pkg.{name}"``: the prefix joined to each string
    constant of the same file (``cli.py`` loads ``f"alstrial.commands.{_name}"`` over a tuple of
    command module names)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if isinstance(head, ast.Constant) and str(head.value).endswith("."):
                names |= {f"{head.value}{constant}" for constant in constants}
    return names


def imported_names(tree: ast.AST, importer: str | None, is_package: bool) -> set[str]:
    """Dotted names imported by one file's syntax tree, function-local imports included.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule); string
    constants that name an alstrial module are included (Django loads modules by name), but
    not docstrings.
    """
    names: set[str] = set()
    docstrings = _docstrings(tree)
    constants = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }
    names |= _formatted_names(tree, constants)
    for constant in constants:
        names.update(_DOTTED.findall(constant))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and importer is None:
                continue  # a relative import outside src/ names no alstrial module
            base = (
                _resolve_relative(importer, is_package, node.level, node.module)
                if node.level
                else node.module or ""
            )
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _with_parents(module: str) -> set[str]:
    """Importing ``a.b.c`` runs ``a/__init__``, ``a/b/__init__`` and ``a.b.c``."""
    parts = module.split(".")
    return {".".join(parts[:end]) for end in range(1, len(parts) + 1)}


def alstrial_targets(names: set[str], modules: dict[str, Module]) -> set[str]:
    targets: set[str] = set()
    for name in names:
        if not name.startswith(PACKAGE):
            continue
        found = _longest_module(name, modules)
        if found:
            targets |= _with_parents(found) & modules.keys()
    return targets


def build_graph(extra_folders: tuple[str, ...] = ("tests", "bench")) -> ImportGraph:
    """Parse ``src/`` and the ``extra_folders`` (and a root ``conftest.py``) into a graph."""
    modules = source_modules()
    graph = ImportGraph(modules)
    files = [(module.path, module) for module in modules.values()]
    for folder in extra_folders:
        files += [(path, None) for path in sorted((ROOT / folder).rglob("*.py"))]
    if (ROOT / "conftest.py").exists():
        files.append((ROOT / "conftest.py", None))
    for path, module in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = imported_names(
            tree, module.name if module else None, module.is_package if module else False
        )
        relative = path.relative_to(ROOT).as_posix()
        graph.edges[relative] = alstrial_targets(names, modules) - {module.name if module else ""}
        if module:
            graph.file_module[relative] = module.name
    return graph


def _entry_points() -> set[str]:
    """Modules named by ``[project.scripts]`` in ``pyproject.toml`` (``alstrial.cli:main``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {target.split(":")[0] for target in project.get("scripts", {}).values()}


def _installed_apps(modules: dict[str, Module]) -> set[str]:
    """alstrial packages named in the settings' ``INSTALLED_APPS`` (read from the source)."""
    settings = modules[f"{PACKAGE}.web.settings"].path.read_text(encoding="utf-8")
    apps = set()
    for name in _DOTTED.findall(settings):
        found = _longest_module(name, modules)
        if found and modules[found].is_package:
            apps.add(found)
        elif found and found.rsplit(".", 1)[-1] == "apps":
            apps.add(found.rsplit(".", 1)[0])
    return apps


def roots(graph: ImportGraph) -> set[str]:
    """What starts alstrial or what Django loads by convention (see the module docstring)."""
    modules = graph.modules
    found = _entry_points() | {f"{PACKAGE}.web.settings"}
    for app in _installed_apps(modules):
        for name in modules:
            rest = name[len(app) + 1 :].split(".") if name.startswith(app + ".") else []
            if not rest:
                continue
            if (len(rest) == 1 and rest[0] in DJANGO_CONVENTION_MODULES) or (
                rest[0] in DJANGO_CONVENTION_FOLDERS
            ):
                found.add(name)
    return {name for root in found for name in _with_parents(root)} & modules.keys()


def reachable_from_package(graph: ImportGraph) -> set[str]:
    """Modules loaded from the roots through imports written inside ``src/`` only."""
    by_module = {
        graph.file_module[path]: targets
        for path, targets in graph.edges.items()
        if path in graph.file_module
    }
    seen = set(roots(graph))
    todo = list(seen)
    while todo:
        for target in by_module.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def unused_by_package(graph: ImportGraph) -> dict[str, list[str]]:
    """Modules of ``src/`` the package never loads, each with the files outside src/ using it."""
    reached = reachable_from_package(graph)
    return {
        name: sorted(path for path in graph.importers(name) if path not in graph.file_module)
        for name in sorted(graph.modules)
        if name not in reached
    }


#: The layers, lowest first; a package may import its own layer and the layers below it.
#: docs/DEVELOPING.md, "Layers".
LAYERS: tuple[tuple[str, ...], ...] = (
    ("domain",),
    ("analysis", "simulation"),
    ("registry", "exchange"),
    ("web",),
    ("commands", "cli"),
)


def layer_of(module: str) -> int | None:
    """The layer of an alstrial module (``alstrial.analysis.slopes`` -> 1); None for the root."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for index, packages in enumerate(LAYERS):
        if parts[1] in packages:
            return index
    return None


def upward_imports(graph: ImportGraph) -> list[tuple[str, str]]:
    """(importing module, imported module) pairs where a lower layer imports a higher one."""
    found = []
    for path, targets in sorted(graph.edges.items()):
        importer = graph.file_module.get(path)
        if importer is None or layer_of(importer) is None:
            continue
        for target in sorted(targets):
            target_layer = layer_of(target)
            if target_layer is not None and target_layer > layer_of(importer):
                found.append((importer, target))
    return found


if __name__ == "__main__":
    graph = build_graph()
    for name, users in unused_by_package(graph).items():
        print(f"{name}: used by {', '.join(users) or 'nothing'}")
    for importer, target in upward_imports(graph):
        print(f"upward: {importer} imports {target}")
