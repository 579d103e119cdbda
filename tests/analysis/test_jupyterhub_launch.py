"""A launch on a real JupyterHub: the gateway (a real server) starts the user's named server
through the hub's API, copies a git workflow into it, and a kernel in that server reads the
basket with esap_graphql.client and adds a record back; both ends are checked."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from tests.analysis.hub import RunningHub, make_git_workflow, notebook, run_in_kernel
from tests.servers import serve_in_thread
from tests.support import ONE_TAP_DATASET

TOKEN_ENV = "ESAP_TEST_HUB_TOKEN"
HUB_USER = "esap"  # the facility's single-user name: the gateway runs in single-user mode
SERVER = "esap"
CATALOGUE = (
    ONE_TAP_DATASET
    + """facilities:
  - id: test-hub
    name: Test JupyterHub
    kind: jupyterhub
    url: {hub_url}
    jupyterhub:
      api_token_env: {token_env}
      single_user_name: {user}
      server_name: {server}
      nbgitpuller: true
      start_timeout: 120
workflows:
  - id: look-at-basket
    name: Look at the basket
    keywords: [test]
    facility_kinds: [jupyterhub]
    source:
      type: git
      repository: {repository}
      ref: main
      path: notebooks/look.ipynb
"""
)
NOTEBOOK_CODE = textwrap.dedent(
    """\
    import json, os
    from esap_graphql.client import connect

    basket = connect()
    table = basket.table()
    added = basket.add([{"dataset": "apertif-dr1", "record_id": "notebook-result-1",
                         "title": "made in the notebook", "ra": 12.5, "dec": -3.0,
                         "flux_jy": 0.42}])
    print(json.dumps({"cwd": os.getcwd(), "basket": basket.basket, "rows": len(table),
                      "record_ids": sorted(table["record_id"].tolist()),
                      "ra_unit": str(table["ra"].unit), "added": added}))
    """
)
LAUNCH = """mutation ($basket: String) {
  launchAnalysis(facility: "test-hub", workflow: "look-at-basket", basket: $basket,
                 write: true) {
    __typename ... on Job { id phase } ... on Error { code message } } }"""


@pytest.fixture
def gateway(
    jupyterhub: RunningHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The gateway (single-user mode) on a real port, the hub as its facility."""
    repository = make_git_workflow(tmp_path / "workflow", notebook(NOTEBOOK_CODE))
    config = tmp_path / "catalogue.yaml"
    config.write_text(
        CATALOGUE.format(
            hub_url=jupyterhub.url,
            token_env=TOKEN_ENV,
            user=HUB_USER,
            server=SERVER,
            repository=repository,
        )
    )
    monkeypatch.setenv(TOKEN_ENV, jupyterhub.token)
    settings = Settings(config=config, data_dir=tmp_path / "data")
    with serve_in_thread(create_app(settings)) as base:
        yield base
    jupyterhub.stop_server(HUB_USER, SERVER)


async def phases_of(base: str, job_id: str) -> list[str]:
    """The job's phases over the jobPhase subscription, until it ends."""
    query = "subscription ($id: ID!) { jobPhase(id: $id) { phase } }"
    phases: list[str] = []
    async with websockets.connect(
        base.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=10,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"id": job_id}},
                }
            )
        )
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 180))
            if message["type"] == "complete":
                return phases
            assert message["type"] == "next", message
            phases.append(message["payload"]["data"]["jobPhase"]["phase"])


async def graphql(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(
            f"{base}/graphql", json={"query": query, "variables": variables or {}}
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_launched_notebook_reads_the_basket_and_writes_back(
    gateway: str, jupyterhub: RunningHub
) -> None:
    items = [
        {"dataset": "apertif-dr1", "recordId": f"cube-{i}", "title": f"cube {i}", "ra": 10.0 + i}
        for i in range(3)
    ]
    add = """mutation ($items: [BasketItemInput!]!) {
      addToBasket(basket: "project", items: $items) { __typename } }"""
    added = await graphql(gateway, add, {"items": items})
    assert added["addToBasket"]["__typename"] == "BasketItemsAdded"

    launched = (await graphql(gateway, LAUNCH, {"basket": "project"}))["launchAnalysis"]
    assert launched["__typename"] == "Job", launched
    phases = await phases_of(gateway, launched["id"])
    assert phases[-1] == "COMPLETED", phases
    assert "EXECUTING" in phases

    job = await graphql(
        gateway,
        "query ($id: ID!) { job(id: $id) { results { name url mimeType } } }",
        {"id": launched["id"]},
    )
    job = job["job"]
    results = {r["name"]: r for r in job["results"]}
    assert set(results) == {"launch.json", "url.uri"}
    async with httpx.AsyncClient(timeout=30) as http:
        launch = (await http.get(results["launch.json"]["url"])).json()
        uri = (await http.get(results["url.uri"]["url"])).text
    server_url = f"/user/{HUB_USER}/{SERVER}/"
    assert launch["url"] == (
        f"{jupyterhub.url}{server_url}lab/tree/look-at-basket/notebooks/look.ipynb"
    )
    assert launch["server_url"] == jupyterhub.url + server_url
    assert launch["nbgitpuller_url"].startswith(f"{jupyterhub.url}{server_url}git-pull?repo=")
    assert uri.strip() == launch["url"]

    # the hub really runs the server, and the workflow and connection file are in it
    model = jupyterhub.api("GET", f"/users/{HUB_USER}").json()
    assert model["servers"][SERVER]["ready"] is True
    home = jupyterhub.home / HUB_USER
    copied = json.loads((home / "look-at-basket" / "notebooks" / "look.ipynb").read_text())
    assert "".join(copied["cells"][0]["source"]) == NOTEBOOK_CODE
    connection = json.loads((home / "look-at-basket" / "esap.json").read_text())
    assert connection["basket"] == "project"
    assert connection["gateway_url"] == gateway
    assert connection["actions"] == ["read", "write"]
    assert json.loads((home / "esap.json").read_text())["token"] == connection["token"]

    # a kernel in the started server runs the notebook's code
    stdout = await run_in_kernel(
        jupyterhub, server_url, "look-at-basket/notebooks/look.ipynb", NOTEBOOK_CODE
    )
    seen = json.loads(stdout.strip().splitlines()[-1])
    assert seen["cwd"] == str(home / "look-at-basket" / "notebooks")
    assert seen["basket"] == "project"
    assert seen["rows"] == 3
    assert seen["record_ids"] == ["cube-0", "cube-1", "cube-2"]
    assert seen["ra_unit"] == "deg"
    assert seen["added"] == 1

    # ... and the gateway's basket has the notebook's record
    read = '{ basket(name: "project") { count items { recordId title ra record } } }'
    basket = (await graphql(gateway, read))["basket"]
    assert basket["count"] == 4
    made = next(i for i in basket["items"] if i["recordId"] == "notebook-result-1")
    assert made == {
        "recordId": "notebook-result-1",
        "title": "made in the notebook",
        "ra": 12.5,
        "record": {"flux_jy": 0.42},
    }
