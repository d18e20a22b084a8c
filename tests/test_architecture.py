"""The layer contracts of docs/architecture.md, checked by import-linter ([tool.importlinter]
in pyproject.toml), and proof that a broken contract fails the run."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_layer_contracts_hold():
    result = lint_imports()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for name in ("The core (defpub) imports neither search nor review",
                 "Models import no services, views or tasks", "Selectors import no services",
                 "No import cycles inside an app"):
        assert f"{name} KEPT" in result.stdout


def test_a_core_module_importing_search_breaks_a_contract(tmp_path):
    copy = tmp_path / "tree"
    for package in ("defpub", "search", "review"):
        shutil.copytree(ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    health = copy / "defpub" / "health.py"
    health.write_text(health.read_text() + "\nfrom search.selectors import index_backlog\n")

    result = lint_imports(cwd=copy)

    assert result.returncode != 0
    assert "The core (defpub) imports neither search nor review BROKEN" in result.stdout
    assert "defpub.health -> search.selectors" in result.stdout


def test_a_selector_importing_a_service_breaks_a_contract(tmp_path):
    copy = tmp_path / "tree"
    for package in ("defpub", "search", "review"):
        shutil.copytree(ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    selectors = copy / "defpub" / "publications" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom defpub.publications import services\n")

    result = lint_imports(cwd=copy)

    assert result.returncode != 0
    assert "Selectors import no services BROKEN" in result.stdout
    assert "defpub.publications.selectors -> defpub.publications.services" in result.stdout


def _cycles(graph, modules) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    edges = {m: [i for i in graph.find_modules_directly_imported_by(m) if i in modules]
             for m in modules}
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_module_imports_itself_back_through_a_chain():
    import grimp

    graph = grimp.build_graph("defpub", "search", "review", exclude_type_checking_imports=True)
    modules = {m for m in graph.modules if ".migrations" not in m}

    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_a_cycle():
    import grimp

    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")

    assert _cycles(graph, {"a.x", "a.y", "a.z"}) == [["a.x", "a.y"]]


# Size limits: a module over 400 lines or a function over 60 needs a reason, written as a
# comment "# size: <why>" in its first lines (a module) or right above its def (a function).
MODULE_LINES, FUNCTION_LINES = 400, 60


def _oversized() -> list[str]:
    import ast

    found = []
    for package in ("defpub", "search", "review"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            lines = text.splitlines()
            name = path.relative_to(ROOT).as_posix()
            if len(lines) > MODULE_LINES and "# size:" not in "\n".join(lines[:15]):
                found.append(f"{name}: {len(lines)} lines")
            for node in ast.walk(ast.parse(text)):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES and "# size:" not in lines[first - 2]:
                    found.append(f"{name}: {node.name}() {length} lines")
    return found


def test_modules_and_functions_stay_small():
    assert _oversized() == []
