"""analysisFacilities and workflows(keyword) over GraphQL."""

from __future__ import annotations

import httpx

from tests.support import graphql_data

FACILITIES = """
{ analysisFacilities { id name kind url description workflows { id } }
  slurm: analysisFacilities(kind: SLURM) { id }
  analysisFacility(id: "mybinder") { name kind }
  missing: analysisFacility(id: "nowhere") { id } }
"""

WORKFLOWS = """
query ($keyword: String, $kind: FacilityKind) {
  workflows(keyword: $keyword, facilityKind: $kind) {
    id name description keywords facilityKinds facilities { id }
    source {
      __typename
      ... on GitWorkflowSource { repository ref path }
      ... on ZenodoWorkflowSource { record doi file url }
      ... on CommandWorkflowSource { script container command }
    }
  }
}
"""


async def test_facilities_are_listed_without_their_secrets(
    analysis_client: httpx.AsyncClient,
) -> None:
    data = await graphql_data(analysis_client, FACILITIES)
    hub, binder, slurm = data["analysisFacilities"]
    assert hub == {
        "id": "astron-hub",
        "name": "ASTRON JupyterHub",
        "kind": "JUPYTERHUB",
        "url": "https://hub.example.org",
        "description": "Notebooks next to the LOFAR data.",
        "workflows": [{"id": "lofar-imaging"}, {"id": "ossr-spectra"}],
    }
    assert binder["kind"] == "BINDERHUB"
    assert slurm["workflows"] == [{"id": "count-rows"}]
    assert data["slurm"] == [{"id": "spider"}]
    assert data["analysisFacility"] == {"name": "mybinder.org", "kind": "BINDERHUB"}
    assert data["missing"] is None


async def test_workflows_by_keyword(analysis_client: httpx.AsyncClient) -> None:
    data = await graphql_data(analysis_client, WORKFLOWS, {"keyword": "Lofar"})
    imaging, count = data["workflows"]
    assert imaging["source"] == {
        "__typename": "GitWorkflowSource",
        "repository": "https://github.com/escape2020/lofar-notebooks",
        "ref": "main",
        "path": "notebooks/imaging.ipynb",
    }
    assert imaging["facilityKinds"] == ["JUPYTERHUB", "BINDERHUB"]
    assert imaging["facilities"] == [{"id": "astron-hub"}, {"id": "mybinder"}]
    assert count["source"]["__typename"] == "CommandWorkflowSource"
    assert count["source"]["script"].startswith("#!/bin/bash")
    assert count["facilities"] == [{"id": "spider"}]


async def test_workflows_unfiltered_and_by_kind(analysis_client: httpx.AsyncClient) -> None:
    everything = await graphql_data(analysis_client, WORKFLOWS)
    assert [w["id"] for w in everything["workflows"]] == [
        "lofar-imaging",
        "ossr-spectra",
        "count-rows",
    ]
    ossr = everything["workflows"][1]["source"]
    assert ossr == {
        "__typename": "ZenodoWorkflowSource",
        "record": "4044010",
        "doi": "10.5281/zenodo.4044010",
        "file": "spectra.ipynb",
        "url": "https://zenodo.org/records/4044010",
    }
    binder = await graphql_data(analysis_client, WORKFLOWS, {"kind": "BINDERHUB"})
    assert [w["id"] for w in binder["workflows"]] == ["lofar-imaging", "ossr-spectra"]
    none = await graphql_data(analysis_client, WORKFLOWS, {"keyword": "no-such-keyword"})
    assert none["workflows"] == []
