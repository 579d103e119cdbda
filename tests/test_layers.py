"""The layer contract (import-linter, `[tool.importlinter]` in pyproject.toml) holds on the tree,
and fails when a module imports against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the packages under ``tree``, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'queue'}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages (no static assets) and of pyproject.toml."""
    copy = tmp_path_factory.mktemp("layers")
    ignore = shutil.ignore_patterns("static", "__pycache__", "*.pyc")
    shutil.copytree(ROOT / "esap_graphql", copy / "esap_graphql", ignore=ignore)
    shutil.copytree(ROOT / "queue" / "esap_worker", copy / "queue" / "esap_worker", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "complaint"),
    [
        (
            "esap_graphql/domain/records.py",
            "import strawberry",
            "esap_graphql.domain is not allowed to import strawberry",
        ),
        (
            "queue/esap_worker/tasks.py",
            "import starlette.requests",
            "esap_worker is not allowed to import starlette",
        ),
        (
            "esap_graphql/storage/result_files.py",
            "import esap_graphql.services.jobs",
            "esap_graphql.storage is not allowed to import esap_graphql.services",
        ),
        (
            "esap_graphql/services/basket.py",
            "import httpx",
            "esap_graphql.services is not allowed to import httpx",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_contract(
    tree: Path, module: str, statement: str, complaint: str
) -> None:
    path = tree / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\n{statement}  # noqa\n", encoding="utf-8")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert complaint in " ".join(result.stdout.split())
