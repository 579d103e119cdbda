"""launchAnalysis through GraphQL with the in-memory hub and workflow fetcher: typed refusals,
the job's results, what lands in the server, BinderHub links, failures as job errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.connectors.jupyterhub import HubUnavailable, InMemoryJupyterHub
from esap_graphql.connectors.workflow_sources import InMemoryFetcher
from esap_graphql.domain.analysis import (
    JupyterHubSettings,
    WorkflowFile,
)
from esap_graphql.domain.tokens import ScopeAction
from esap_graphql.factory import Factory
from esap_graphql.services.analysis import hub_user_name
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from tests.analysis.conftest import ANALYSIS_CATALOGUE
from tests.support import graphql, graphql_data

REPOSITORY = "https://github.com/escape2020/lofar-notebooks"
FILES = (
    WorkflowFile("notebooks/imaging.ipynb", b'{"cells": []}'),
    WorkflowFile("README.md", b"LOFAR imaging\n"),
)
LAUNCH = """mutation ($facility: ID!, $workflow: ID!, $basket: String, $write: Boolean!) {
  launchAnalysis(facility: $facility, workflow: $workflow, basket: $basket, write: $write) {
    __typename
    ... on Job { id type phase parameters }
    ... on Error { code message }
    ... on UnknownFacility { facilityId }
    ... on WorkflowNotSupported { workflowId facilityId }
  }
}"""
JOB = """query ($id: ID!) { job(id: $id) { phase results { name url }
  error { type code message } } }"""


class MemoryFactory(Factory):
    """The gateway's factory with the hub and the workflow sources in memory."""

    hub = InMemoryJupyterHub(base_url="https://hub.example.org")
    fetcher = InMemoryFetcher(workflows={REPOSITORY: FILES})

    @cached_property
    def analysis(self) -> AnalysisRuntime:
        real = super().analysis
        return AnalysisRuntime(
            catalogue=real.catalogue,
            tokens=real.tokens,
            jupyterhub=lambda facility: self.hub,
            fetcher=self.fetcher,
        )


@dataclass
class Gateway:
    client: httpx.AsyncClient
    hub: InMemoryJupyterHub
    runtime: AnalysisRuntime


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(config=ANALYSIS_CATALOGUE, data_dir=tmp_path / "data")
    factory = MemoryFactory(settings)
    factory.hub = InMemoryJupyterHub(base_url="https://hub.example.org")
    ctx = await factory.process_context()
    app = create_app(settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            yield Gateway(client=client, hub=factory.hub, runtime=ctx.analysis)
    finally:
        await ctx.aclose()


async def launch(gateway: Gateway, **variables: Any) -> dict[str, Any]:
    values = {"basket": None, "write": False, **variables}
    data = await graphql_data(gateway.client, LAUNCH, values)
    result: dict[str, Any] = data["launchAnalysis"]
    return result


async def finished(gateway: Gateway, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job: dict[str, Any] = (await graphql_data(gateway.client, JOB, {"id": job_id}))["job"]
        if job["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the launch job did not end")


async def result_json(gateway: Gateway, job: dict[str, Any], name: str) -> dict[str, Any]:
    url = next(r["url"] for r in job["results"] if r["name"] == name)
    response = await gateway.client.get(url)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_a_jupyterhub_launch_puts_workflow_and_token_in_the_server(
    gateway: Gateway,
) -> None:
    job = await launch(
        gateway, facility="astron-hub", workflow="lofar-imaging", basket="project", write=True
    )
    assert job["__typename"] == "Job"
    assert job["type"] == "analysis.launch"
    assert job["parameters"]["gateway_url"] == "http://localhost"
    done = await finished(gateway, job["id"])
    assert done["phase"] == "COMPLETED", done
    launched = await result_json(gateway, done, "launch.json")
    server = "/user/esap/esap/"
    assert launched["url"] == (
        f"https://hub.example.org{server}lab/tree/lofar-imaging/notebooks/imaging.ipynb"
    )
    assert launched["hub_user"] == "esap"  # single-user mode: the facility's configured name
    assert launched["nbgitpuller_url"] == (
        f"https://hub.example.org{server}git-pull?repo=https%3A%2F%2Fgithub.com%2Fescape2020"
        "%2Flofar-notebooks&branch=main&urlpath=lab%2Ftree%2Flofar-imaging-git%2Fnotebooks"
        "%2Fimaging.ipynb&targetpath=lofar-imaging-git"
    )
    assert ("esap", "esap") in gateway.hub.running
    files = gateway.hub.files[server]
    assert files["lofar-imaging/notebooks/imaging.ipynb"] == b'{"cells": []}'
    assert files["lofar-imaging/README.md"] == b"LOFAR imaging\n"
    connection = json.loads(files["lofar-imaging/esap.json"])
    assert files["esap.json"] == files["lofar-imaging/esap.json"]
    assert connection["graphql_url"] == "http://localhost/graphql"
    assert connection["export_url"] == "http://localhost/baskets/project/export.votable"
    user = gateway.runtime.tokens.verify(connection["token"])
    assert user.id == "local"
    assert user.scope is not None
    assert user.scope.basket == "project"
    assert user.scope.actions == {ScopeAction.READ, ScopeAction.WRITE}


async def test_a_read_only_launch_gets_a_read_only_token(gateway: Gateway) -> None:
    job = await launch(gateway, facility="astron-hub", workflow="lofar-imaging")
    assert (await finished(gateway, job["id"]))["phase"] == "COMPLETED"
    connection = json.loads(gateway.hub.files["/user/esap/esap/"]["esap.json"])
    assert connection["basket"] == "default"
    assert connection["actions"] == ["read"]
    scope = gateway.runtime.tokens.verify(connection["token"]).scope
    assert scope is not None
    assert scope.actions == {ScopeAction.READ}


async def test_a_binderhub_launch_links_without_the_token(gateway: Gateway) -> None:
    job = await launch(gateway, facility="mybinder", workflow="ossr-spectra", basket="project")
    done = await finished(gateway, job["id"])
    assert done["phase"] == "COMPLETED", done
    launched = await result_json(gateway, done, "launch.json")
    assert launched["url"] == (
        "https://mybinder.org/v2/zenodo/10.5281/zenodo.4044010/?labpath=spectra.ipynb"
    )
    assert launched["token"] not in launched["url"]
    assert gateway.runtime.tokens.verify(launched["token"]).scope is not None
    assert launched["connect"] == (
        "from esap_graphql.client import connect; basket = connect('http://localhost', "
        f"basket='project', token={launched['token']!r})"
    )
    assert gateway.hub.running == set()  # nothing was started on the hub


@pytest.mark.parametrize(
    ("facility", "workflow", "basket", "typename", "code"),
    [
        ("nowhere", "lofar-imaging", None, "UnknownFacility", "unknown_facility"),
        ("astron-hub", "nothing", None, "UnknownWorkflow", "unknown_workflow"),
        ("astron-hub", "count-rows", None, "WorkflowNotSupported", "workflow_not_supported"),
        ("spider", "count-rows", None, "LaunchNotSupported", "launch_not_supported"),
        ("astron-hub", "lofar-imaging", "no spaces", "InvalidBasketName", "invalid_basket_name"),
    ],
)
async def test_refusals_are_typed(
    gateway: Gateway, facility: str, workflow: str, basket: str | None, typename: str, code: str
) -> None:
    result = await launch(gateway, facility=facility, workflow=workflow, basket=basket)
    assert result["__typename"] == typename
    assert result["code"] == code
    jobs = await graphql_data(gateway.client, "{ jobs { id } }")
    assert jobs["jobs"] == []  # nothing was queued


async def test_hub_failures_end_the_job_in_error(gateway: Gateway) -> None:
    gateway.hub.start_failure = HubUnavailable("https://hub.example.org did not answer")
    job = await launch(gateway, facility="astron-hub", workflow="lofar-imaging")
    done = await finished(gateway, job["id"])
    assert done["phase"] == "ERROR"
    assert done["error"]["type"] == "TRANSIENT"
    assert "did not answer" in done["error"]["message"]


async def test_a_missing_hub_token_is_a_fatal_error(tmp_path: Path) -> None:
    settings = Settings(config=ANALYSIS_CATALOGUE, data_dir=tmp_path / "data")
    factory = Factory(settings)
    try:
        hub = factory.analysis.catalogue.facility("astron-hub")
        assert hub is not None
        with pytest.raises(Exception, match="ESAP_TEST_HUB_TOKEN"):
            factory.jupyterhub(hub)
    finally:
        await factory.aclose()


def test_hub_user_names() -> None:
    settings = JupyterHubSettings(api_token_env="X", single_user_name="solo")
    assert hub_user_name("local", settings) == "solo"
    assert hub_user_name("https://idp.example.org|alice", settings) == "alice"
    mixed = hub_user_name("https://idp.example.org|Alice@Example.org", settings)
    assert mixed.startswith("alice-example.org-")
    assert mixed != hub_user_name("https://other.example.org|Alice@Example.org", settings)
    assert len(hub_user_name("https://idp|" + "x" * 300, settings)) <= 49


async def test_without_sign_in_no_token_is_needed_to_launch(gateway: Gateway) -> None:
    body = await graphql(
        gateway.client,
        'mutation { launchAnalysis(facility: "mybinder", workflow: "lofar-imaging") '
        "{ __typename } }",
    )
    assert body["data"]["launchAnalysis"]["__typename"] == "Job"
