"""The layering rules of docs/architecture.md, read from the source: no import cycle (imports
inside functions count), and `integrations` knows neither `workflows` nor the task queue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.harness import ROOT

PACKAGES = ("accounts", "initiator_site", "integrations", "surveys", "workflows")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imported_names(path: Path, module: str) -> set[str]:
    """Every module `path` imports, anywhere in it (top level or inside a function)."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if node.module:  # `from . import x` imports x, not the package itself
                names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {other for other in imported_names(path, name) if other in modules and other != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    # Given every project module's imports, including those inside functions
    graph = import_graph()
    # Then no two modules import each other, however indirectly
    assert "workflows.tasks" in graph and graph["workflows.tasks"], "the graph was not read"
    assert cycles(graph) == []


def test_a_cycle_is_found_when_there_is_one():
    # Given a graph in which a imports b, b imports c, and c imports a
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    # Then the checker names the three of them
    assert cycles(graph) == [["a", "b", "c"]]


def test_integrations_knows_nothing_of_workflows_or_the_task_queue():
    # Given every module of integrations
    offenders = {
        name: sorted(
            n for n in imported_names(path, name) if n.split(".")[0] in {"workflows", "django_q"}
        )
        for name, path in project_modules().items()
        if name.split(".")[0] == "integrations"
    }
    # Then none imports workflows or django-q2, and its settings name no task of theirs
    assert {name: found for name, found in offenders.items() if found} == {}


def test_comments_cite_only_what_is_in_the_repo():
    # Given the project's source and templates
    citation = re.compile(r"\bSPEC\b|§|(?i:\bissue #?\d+|product brief)")
    sources = [*project_modules().values(), *(ROOT / "templates").rglob("*.html")]
    sources += list((ROOT / "tests").rglob("*.py"))
    # Then none cites a document outside the repository (RFC sections are public standards)
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if citation.search(line) and "RFC" not in line and path.name != "test_architecture.py"
    ]
    assert found == []
