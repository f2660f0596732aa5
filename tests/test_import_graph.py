"""The project's modules import each other without a cycle, imports inside functions included.

Every module of the project is parsed (benchmarks/speed/ and benchmarks/dev/ too: they are
not shipped, but they import only the package, so including them costs nothing). An
import inside a function counts as much as one at the top: hiding a cycle there is what
this test is for. `from pkg import name` is an edge to `pkg.name` when that is a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import name -> folder (pyproject.toml's package-dir)
PACKAGES = {"forecast_bench": "forecast_bench", "forecast_bench.models": "models",
            "forecast_bench.evaluation": "evaluation", "forecast_bench.benchmarks": "benchmarks"}


def module_files() -> dict[str, Path]:
    """Every project module by dotted name (a package by its own name)."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module an `ImportFrom` names, relative levels resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that `module` imports anywhere in its body."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, path.name == "__init__.py")
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in known else source)
    return {target for target in targets if target in known and target != module}


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    files = module_files()
    return {module: imports_of(module, path, set(files)) for module, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, ..., a], or None (an iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_finds_a_cycle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_relative_and_submodule_imports_resolve(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("from . import b\nfrom .b import thing\n\ndef f():\n    import pkg.c\n")
    assert imports_of("pkg.a", path, {"pkg", "pkg.a", "pkg.b", "pkg.c"}) == {"pkg.b", "pkg.c"}


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert set(PACKAGES) <= set(graph)
    models = "forecast_bench.models"
    # `from forecast_bench.models import arima` is an edge to the module
    assert {f"{models}.arima", f"{models}.registry"} <= graph[models]
    assert models not in graph[f"{models}.arima"]  # `from ...models import arima_search`
    speed = "forecast_bench.benchmarks.speed"
    assert f"{speed}.common" in graph[f"{speed}.collection_networks"]  # imported in a function


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
