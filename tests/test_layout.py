"""The layout holds: the stdlib ``queue`` is never shadowed, and imports point one way."""

from __future__ import annotations

import ast
import queue
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "esap_graphql"
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_import_queue_in_pytest_is_the_stdlib() -> None:
    assert queue.__file__ is not None
    assert Path(queue.__file__).resolve().parent == STDLIB
    assert hasattr(queue, "SimpleQueue")


def test_import_queue_from_the_repo_root_is_the_stdlib() -> None:
    # `python -c` puts the current directory first on sys.path
    result = subprocess.run(
        [sys.executable, "-c", "import queue; print(queue.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(result.stdout.strip()).resolve().parent == STDLIB


def test_import_queue_under_uvicorn_from_the_repo_root_is_the_stdlib() -> None:
    # the uvicorn command puts its --app-dir (default: the current directory) first on sys.path
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.uvicorn_queue_probe:app", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).json()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1].decode()
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert Path(answer["queue"]).resolve().parent == STDLIB
    assert answer["simple"] is True


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in sorted(imported_modules(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_imported_modules_sees_every_import_form(tmp_path: Path) -> None:
    sample = PACKAGE / "services" / "dataset_query.py"
    names = imported_modules(sample)
    assert "esap_graphql.domain.errors" in names
    assert "asyncio" in names


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("domain", ("strawberry", "sqlmodel", "sqlalchemy", "pyvo", "astropy", "httpx")),
        ("services", ("strawberry", "esap_graphql.schema", "esap_graphql.resolvers")),
        ("connectors", ("strawberry", "esap_graphql.schema", "esap_graphql.resolvers")),
        ("resolvers", ("esap_graphql.schema",)),
    ],
)
def test_imports_point_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    assert list((PACKAGE / layer).rglob("*.py")), f"no modules in {layer}"
    assert violations(layer, forbidden) == []


def test_the_direction_check_can_fail() -> None:
    # the schema package does import strawberry: the checker must see it
    assert violations("schema", ("strawberry",))
