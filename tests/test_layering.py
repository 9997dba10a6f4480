"""The project's modules import each other without cycles, and accounts knows nothing of oteapp."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "config", "oteapp")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(name: str, source: str, modules: dict[str, Path], *, is_package: bool = False) -> set[str]:
    """Every project module `name` imports, at the top or inside a function (both run, sooner or later)."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: imports_of(name, path.read_text(), modules, is_package=path.name == "__init__.py")
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in graph[node]:
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_among_the_projects_modules():
    assert cycles(import_graph()) == []


def accounts_imports_of_oteapp(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    found = {name: sorted(t for t in targets if t.split(".")[0] == "oteapp") for name, targets in graph.items()}
    return {name: targets for name, targets in found.items() if name.split(".")[0] == "accounts" and targets}


def test_accounts_imports_nothing_of_oteapp():
    assert accounts_imports_of_oteapp(import_graph()) == {}


def test_the_checks_see_a_cycle_and_a_forbidden_import():
    """The two tests above can fail: a cycle in a made-up graph, and an accounts module importing oteapp inside a
    function, relatively and absolutely."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    modules = project_modules()
    source = "def f():\n    from oteapp.jobs import tasks\n    from ..oteapp import models\n"
    imported = imports_of("accounts.views", source, modules)
    assert imported == {"oteapp.jobs.tasks", "oteapp.models"}
    assert accounts_imports_of_oteapp({"accounts.views": imported}) == {"accounts.views": sorted(imported)}


DEPENDENCIES = ("django", "psycopg", "celery", "kombu", "allauth")


def private_imports(source: str) -> list[str]:
    """`from django.x import _y`, `import celery._state`, `from allauth._x import y`: names a dependency keeps private
    (dunder names such as `__version__` are public)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in DEPENDENCIES:
            names = [alias.name for alias in node.names]
            modules = node.module.split(".")
        elif isinstance(node, ast.Import):
            modules = []
            names = [alias.name for alias in node.names if alias.name.split(".")[0] in DEPENDENCIES]
            names = [part for name in names for part in name.split(".")]
        else:
            continue
        for name in [*modules, *names]:
            if name.startswith("_") and not name.startswith("__"):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
                break
    return found


def test_the_app_uses_no_private_api_of_its_dependencies():
    """Issue 15: Django, psycopg, Celery and allauth can be upgraded without fear: the app imports nothing they keep
    private."""
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in project_modules().values()
        if (found := private_imports(path.read_text()))
    }
    assert offenders == {}


def test_the_private_api_check_sees_one():
    assert private_imports("from django.db.models.sql import _private\nfrom django import __version__") == [
        "line 1: from django.db.models.sql import _private"
    ]
    assert private_imports("import celery._state") == ["line 1: import celery._state"]
    assert private_imports("from oteapp import _mine") == []
