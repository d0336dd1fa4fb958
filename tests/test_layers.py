"""The import graph of tasks_app and state_app keeps its layers (read from the source).

Rule: faces (api, admin, management, web, backends, checks) -> ops and worker -> the core;
ops may use the worker's executors only through the core's dispatch; the core imports no
face, no ops and no worker module; tasks_app never imports state_app; no module imports
itself back through a circle (imports inside functions count; ``if TYPE_CHECKING`` ones,
which never run, count for circles but not for layers).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tasks_app", "state_app")
# The composition root wires everything together; it sits above every layer.
WIRING = {"tasks_app", "tasks_app.apps", "state_app.apps"}
FACES = ("api", "admin", "management", "web", "backends", "checks")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, known: set[str], type_checking: bool = False) -> set[str]:
    """Modules of ours that ``path`` imports, at any depth of its code (``type_checking``:
    with the imports only type checkers read)."""
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
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from package import module" imports the module, not the package's face.
            subs = [f"{node.module}.{a.name}" for a in node.names]
            names = [s for s in subs if s in known] or [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def graph(type_checking: bool = False) -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {m: imports_of(p, known, type_checking) - {m} for m, p in found.items()}


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


def test_every_import_goes_down_a_layer_or_stays_in_its_own():
    wrong = [
        f"{m} ({layer(m)}) imports {i} ({layer(i)})"
        for m, deps in graph().items()
        for i in deps
        if layer(i) not in ALLOWED[layer(m)]
    ]
    assert wrong == []


def test_tasks_app_never_imports_state_app():
    assert [
        (m, i)
        for m, deps in graph().items()
        if m.startswith("tasks_app")
        for i in deps
        if i.startswith("state_app")
    ] == []


def test_no_import_circles():
    edges = graph(type_checking=True)  # a circle only type checkers follow is one too
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
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
                circles.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    assert circles == []


def test_the_rule_catches_a_wrong_arrow():
    # The layering test is only worth something if it can fail.
    assert "face" not in ALLOWED[layer("tasks_app.services")]
    assert layer("tasks_app.api.views") == "face" and layer("tasks_app.worker.runner") == "worker"
