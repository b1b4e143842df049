"""The package layout is the architecture: each layer imports only itself and the layers below it.

Read from the source (every `import` and `from ... import`, at module level or inside a
function), so a lazy import against the grain is caught as well. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

LIB = ROOT / "lib" / "hookledger"

# layer -> the layers it may import (besides itself). Bottom to top.
ALLOWED: dict[str, set[str]] = {
    "store": set(),
    "hotpath": {"store"},
    "knowledge": {"hotpath", "store"},
    "handlers": {"knowledge", "hotpath", "store"},
    "sync": {"knowledge", "hotpath", "store"},
    "history": {"handlers", "knowledge", "hotpath", "store"},
    "faces": {"history", "sync", "handlers", "knowledge", "hotpath", "store"},
}
# Modules at the package's top: the version, and `python -m hookledger` (the CLI's entry).
TOP = {"__init__": set(), "__main__": {"faces"}}
# Layers a hook process loads: nothing in them may pull in a third-party package at module level.
STDLIB_LAYERS = ("store", "hotpath", "knowledge", "handlers")


def modules() -> list[Path]:
    return sorted(p for p in LIB.rglob("*.py") if "demo_sessions" not in p.parts)


def layer_of(path: Path) -> str:
    rel = path.relative_to(LIB)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every hookledger import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "hookledger"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hookledger":  # from hookledger import x: x is a layer or a top module
                found += [(node.lineno, f"hookledger.{a.name}") for a in node.names]
            elif node.module.split(".")[0] == "hookledger":
                found.append((node.lineno, node.module))
    return found


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted({layer_of(p) for p in modules()} - ALLOWED.keys() - TOP.keys())
    assert unknown == [], f"modules outside the layers of docs/architecture.md: {unknown}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(LIB)))
def test_imports_follow_the_layering(path):
    layer = layer_of(path)
    may = ALLOWED.get(layer, TOP.get(layer, set())) | {layer}
    wrong = []
    for line, module in imported(path):
        target = module.split(".")[1] if "." in module else "__init__"
        if target == "__version__":
            continue
        if target not in may:
            wrong.append(f"line {line}: {module} ({layer} may import {sorted(may)})")
    assert wrong == [], f"{path.relative_to(LIB)} imports against the layering:\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules():
    """Module-level and lazy imports together form no cycle (two modules needing each other
    means one of them holds what both need)."""
    graph: dict[str, set[str]] = {}
    names = {".".join(("hookledger", *p.relative_to(LIB).with_suffix("").parts)).removesuffix(".__init__"): p
             for p in modules()}
    for name, path in names.items():
        graph[name] = {m for _, m in imported(path) if m in names and m != name}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in seen and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        seen[node] = 2
        return None

    for start in sorted(graph):
        if start not in seen and (cycle := visit(start)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_event_list_is_defined_once():
    """EVENTS lives in hotpath.events; handlers route exactly those events."""
    from hookledger import handlers
    from hookledger.hotpath.events import EVENTS

    assert set(handlers.ROUTES) == set(EVENTS)
    defining = [str(p.relative_to(LIB)) for p in modules()
                if any(isinstance(n, (ast.Assign, ast.AnnAssign)) and any(
                    isinstance(t, ast.Name) and t.id == "EVENTS"
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))
                    for n in ast.parse(p.read_text(encoding="utf-8")).body)]
    assert defining == ["hotpath/events.py"]


def test_sync_targets_a_configuration_may_name_are_the_sync_targets():
    from hookledger.handlers import autosync
    from hookledger.hotpath.config import DEFAULTS, SYNC_TARGETS
    from hookledger.sync import ADAPTERS, WAREHOUSE

    assert set(SYNC_TARGETS) == set(ADAPTERS) | {WAREHOUSE} and autosync.WAREHOUSE == WAREHOUSE
    assert set(DEFAULTS["sync"]) == {"auto", *SYNC_TARGETS}  # each target's options: sync.<target>


@pytest.mark.parametrize("layer", STDLIB_LAYERS)
def test_hook_layers_import_no_third_party_package_at_module_level(layer):
    """What a hook can load stays stdlib-only (test_hot_imports checks the running hooks too)."""
    import sys

    stdlib = sys.stdlib_module_names
    bad = []
    for path in modules():
        if layer_of(path) != layer or "migrations" in path.parts or path.name in ("migrate.py", "schema_dump.py"):
            continue  # migrations run once per schema upgrade and may use sqlite-utils
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: a lazy import on a cold branch is allowed
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                     else [])
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in ("hookledger", "__future__"):
                    bad.append(f"{path.relative_to(LIB)}: {name}")
    assert bad == []
