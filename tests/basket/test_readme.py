"""The README's basket examples work as written: the GraphQL operations and the notebook snippet."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from tests.basket.conftest import CATALOGUE_YAML, Gateway
from tests.oidc_issuer import AUDIENCE, Issuer
from tests.servers import serve_in_thread
from tests.support import graphql_data

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Basket and sign-in")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)


def test_the_readme_says_single_user_mode_plainly() -> None:
    assert "Without `ESAP_OIDC_ISSUER` the gateway runs in single-user mode" in section()


async def test_the_graphql_examples_run(gateway: Gateway) -> None:
    [graphql_block] = blocks("graphql")
    operations = re.split(r"\n(?=mutation |\{ )", graphql_block.strip())
    assert len(operations) == 5
    results = []
    item_id = ""
    for operation in operations:
        if "removeFromBasket" in operation:
            operation = operation.replace('"42"', f'"{item_id}"')
        data = await graphql_data(gateway.client, operation, headers=gateway.headers("alice"))
        results.append(data)
        if "addToBasket" in operation:
            assert data["addToBasket"]["__typename"] == "BasketItemsAdded"
            item_id = data["addToBasket"]["items"][0]["id"]
    assert results[1]["basket"]["count"] == 1
    assert results[1]["basket"]["exportUrl"].endswith("/baskets/project-x/export.votable")
    assert {"name": "project-x", "count": 1} in results[2]["baskets"]
    assert results[3]["removeFromBasket"]["__typename"] == "BasketItemsRemoved"


@pytest.fixture
def served(tmp_path: Path, issuer: Issuer) -> Iterator[str]:
    """The gateway, sign-in on, under uvicorn; its base URL."""
    config = tmp_path / "catalogue.yaml"
    config.write_text(CATALOGUE_YAML, encoding="utf-8")
    settings = Settings(
        config=config, data_dir=tmp_path / "data", oidc_issuer=issuer.url, oidc_audience=AUDIENCE
    )
    with serve_in_thread(create_app(settings)) as base:
        yield base


async def test_the_notebook_snippet_fetches_the_basket(served: str, issuer: Issuer) -> None:
    import httpx

    token = issuer.token("alice")
    async with httpx.AsyncClient(base_url=served) as client:
        await graphql_data(
            client,
            'mutation { addToBasket(items: [{dataset: "apertif-dr1", recordId: "r-1", '
            'accessUrl: "https://x/r-1.fits"}]) { __typename } }',
            headers={"Authorization": f"Bearer {token}"},
        )
    [snippet] = blocks("python")
    code = snippet.replace("http://127.0.0.1:8000", served)
    out = io.StringIO()

    def run() -> None:
        with contextlib.redirect_stdout(out):
            exec(code, {"token": token})

    await asyncio.to_thread(run)
    assert out.getvalue().split() == ["apertif-dr1", "r-1", "https://x/r-1.fits"]
