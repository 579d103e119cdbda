"""Basket modules import one way: schema -> resolvers -> services -> storage -> domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "esap_graphql"

FORBIDDEN = {
    "domain/basket.py": (
        "strawberry",
        "sqlmodel",
        "sqlalchemy",
        "httpx",
        "astropy",
        "esap_graphql.services",
        "esap_graphql.storage",
        "esap_graphql.schema",
    ),
    "storage/basket_store.py": (
        "strawberry",
        "esap_graphql.services",
        "esap_graphql.schema",
        "esap_graphql.resolvers",
    ),
    "services/basket.py": (
        "strawberry",
        "sqlmodel",
        "sqlalchemy",
        "esap_graphql.schema",
        "esap_graphql.resolvers",
    ),
    "services/basket_export.py": ("strawberry", "sqlmodel", "sqlalchemy", "esap_graphql.schema"),
    "services/auth.py": ("strawberry", "sqlmodel", "starlette", "esap_graphql.schema"),
    "resolvers/basket.py": ("strawberry", "sqlmodel", "sqlalchemy", "esap_graphql.schema"),
    "schema/basket.py": ("sqlmodel", "sqlalchemy", "esap_graphql.storage", "esap_graphql.services"),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_imports_point_one_way(module: str) -> None:
    bad = [
        name
        for name in imports(PACKAGE / module)
        for prefix in FORBIDDEN[module]
        if name == prefix or name.startswith(prefix + ".")
    ]
    assert bad == []
