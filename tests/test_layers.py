"""The import graph of tasks_app and state_app keeps its layers (read from the source).

Rule: faces (api, admin, management, web, backends, checks) -> ops and worker -> the core;
ops may use the worker's executors only through the core's dispatch; the core imports no
face, no ops and no worker module; tasks_app never imports state_app; no module imports
itself back through a circle (imports inside functions count; ``if TYPE_CHECKING`` ones,
which never run, count for circles but not for layers). Relative imports count from the
importing module's package. The checker runs on a sample tree too (``layering_sample``), where
it must report the wrong arrow and the circle planted there.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tasks_app", "state_app")
# A small tree with known wrong arrows and a circle: the checker must report them.
SAMPLE = Path(__file__).resolve().parent / "layering_sample"
# The composition root wires everything together; it sits above every layer.
WIRING = {"tasks_app", "tasks_app.apps", "state_app.apps"}
FACES = ("api", "admin", "management", "web", "backends", "checks")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path, root)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute name ``from … import`` reads from; ``from ..x import y`` counts from the
    package of ``module`` (the module itself when it is a package's ``__init__``)."""
    if node.level == 0:
        return node.module or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(path: Path, module: str, known: set[str], type_checking: bool = False) -> set[str]:
    """Modules of ours that ``path`` (module ``module``) imports, at any depth of its code
    (``type_checking``: with the imports only type checkers read)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not type_checking and isinstance(node, ast.If) and _type_checking(node):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = imported_from(node, module, path.name == "__init__.py")
            # "from package import module" imports the module, not the package's face.
            subs = [f"{source}.{a.name}" for a in node.names]
            names = [s for s in subs if s in known] or [source]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def graph(type_checking: bool = False, root: Path = ROOT) -> dict[str, set[str]]:
    found = modules(root)
    known = set(found)
    return {m: imports_of(p, m, known, type_checking) - {m} for m, p in found.items()}


def layer(module: str) -> str:
    if module in WIRING:
        return "wiring"
    package, _, rest = module.partition(".")
    if package == "state_app":
        return "state_face" if rest.startswith(("api", "admin", "management")) else "state"
    head = rest.split(".")[0]
    if head in FACES:
        return "face"
    if head in ("ops", "worker"):
        return head
    return "core"


ALLOWED = {
    "core": {"core"},
    "worker": {"core", "worker"},
    "ops": {"core", "ops"},
    "face": {"core", "ops", "worker", "face"},
    "state": {"core", "state"},
    "state_face": {"core", "face", "state", "state_face"},
    "wiring": {"core", "ops", "worker", "face", "state", "state_face", "wiring"},
}


def wrong_arrows(edges: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{m} ({layer(m)}) imports {i} ({layer(i)})"
        for m, deps in edges.items()
        for i in deps
        if layer(i) not in ALLOWED[layer(m)]
    )


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``edges`` (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_import_goes_down_a_layer_or_stays_in_its_own():
    assert wrong_arrows(graph()) == []


def test_tasks_app_never_imports_state_app():
    assert [
        (m, i)
        for m, deps in graph().items()
        if m.startswith("tasks_app")
        for i in deps
        if i.startswith("state_app")
    ] == []


def test_no_import_circles():
    # A circle only type checkers follow is one too.
    assert circles(graph(type_checking=True)) == []


# -- the checker itself, on a sample tree written with relative imports --------------------------
def test_relative_imports_resolve_against_the_module_package():
    edges = graph(root=SAMPLE)
    assert edges["tasks_app.selectors"] == {"tasks_app.worker.runner"}  # from .worker import
    assert edges["tasks_app.worker.runner"] == {"tasks_app.services"}  # from ..services import
    assert edges["tasks_app.services"] == {"tasks_app.selectors"}  # from . import selectors
    assert edges["tasks_app.api.views"] == {"tasks_app.worker", "tasks_app.services"}
    assert edges["tasks_app.worker"] == {"tasks_app.worker.runner"}  # __init__: from . import


def test_the_checker_reports_a_relative_wrong_arrow_and_its_circle():
    edges = graph(root=SAMPLE)
    assert wrong_arrows(edges) == [
        "tasks_app.selectors (core) imports tasks_app.worker.runner (worker)"
    ]
    assert circles(edges) == [
        ["tasks_app.selectors", "tasks_app.services", "tasks_app.worker.runner"]
    ]


def test_the_rule_catches_a_wrong_arrow():
    # The layering test is only worth something if it can fail.
    assert "face" not in ALLOWED[layer("tasks_app.services")]
    assert layer("tasks_app.api.views") == "face" and layer("tasks_app.worker.runner") == "worker"
