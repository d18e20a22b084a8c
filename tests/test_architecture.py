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
    selectors = copy / "defpub" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom defpub.services import publication\n")

    result = lint_imports(cwd=copy)

    assert result.returncode != 0
    assert "Selectors import no services BROKEN" in result.stdout
    assert "defpub.selectors -> defpub.services.publication" in result.stdout
