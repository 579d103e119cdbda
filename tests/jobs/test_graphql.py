"""Jobs through GraphQL over ASGI (in-process runner): the contract and the typed errors."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support import graphql_data

CREATE = """
mutation($type: String!, $parameters: JSON, $run: Boolean!, $duration: Int) {
  createJob(type: $type, parameters: $parameters, run: $run, executionDuration: $duration) {
    __typename
    ... on Job { id phase type parameters executionDuration }
    ... on Error { code message }
    ... on InvalidJobParameters { problems }
    ... on UnknownJobType { known }
  }
}
"""
JOB = """
query($id: ID!) {
  job(id: $id) {
    id type phase attempts startTime endTime
    results { name url mimeType size }
    error { __typename type code message }
  }
}
"""


async def create(
    client: httpx.AsyncClient,
    type_: str,
    parameters: Any,
    *,
    run: bool = True,
    duration: int | None = None,
) -> dict[str, Any]:
    data = await graphql_data(
        client,
        CREATE,
        {"type": type_, "parameters": parameters, "run": run, "duration": duration},
    )
    result: dict[str, Any] = data["createJob"]
    return result


async def wait_final(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            job: dict[str, Any] = (await graphql_data(client, JOB, {"id": job_id}))["job"]
            if job["phase"] in {"COMPLETED", "ERROR", "ABORTED"}:
                return job
            await asyncio.sleep(0.02)


async def test_contract_create_run_read_download(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client,
        'mutation { createJob(type: "test.sleep", parameters: {seconds: 0.01, message: "x"}, '
        "run: true) { ... on Job { id phase } } }",
    )
    job_id = data["createJob"]["id"]
    assert data["createJob"]["phase"] == "QUEUED"
    job = await wait_final(client, job_id)
    assert job["phase"] == "COMPLETED"
    assert job["error"] is None
    [result] = job["results"]
    assert result["name"] == "echo.json"
    assert result["mimeType"] == "application/json"
    assert result["url"] == f"http://localhost/uws/jobs/{job_id}/results/echo.json"
    download = await client.get(result["url"])
    assert download.status_code == 200
    assert download.json()["parameters"]["message"] == "x"
    assert len(download.content) == result["size"]


async def test_failed_job_reports_a_typed_error_summary(client: httpx.AsyncClient) -> None:
    created = await create(client, "test.sleep", {"fail": "transient"})
    job = await wait_final(client, created["id"])
    assert job["phase"] == "ERROR"
    assert job["error"]["__typename"] == "JobError"
    assert job["error"]["type"] == "TRANSIENT"
    assert "transient" in job["error"]["message"]


async def test_refusals_are_typed_union_members(client: httpx.AsyncClient) -> None:
    unknown = await create(client, "nope", {})
    assert unknown["__typename"] == "UnknownJobType"
    assert "query.tap" in unknown["known"]
    assert "query.multi" in unknown["known"]
    invalid = await create(client, "query.tap", {"dataset": "esap-obscore"})
    assert invalid["__typename"] == "InvalidJobParameters"
    assert any(p.startswith("query") for p in invalid["problems"])


async def test_abort_delete_and_illegal_transition(client: httpx.AsyncClient) -> None:
    created = await create(client, "test.sleep", {"seconds": 30})
    aborted = await graphql_data(
        client,
        "mutation($id: ID!) { abortJob(id: $id) { __typename ... on Job { phase } } }",
        {"id": created["id"]},
    )
    assert aborted["abortJob"] == {"__typename": "Job", "phase": "ABORTED"}
    again = await graphql_data(
        client,
        "mutation($id: ID!) { startJob(id: $id) { __typename "
        "... on IllegalPhaseTransition { current requested message } } }",
        {"id": created["id"]},
    )
    assert again["startJob"]["__typename"] == "IllegalPhaseTransition"
    assert (again["startJob"]["current"], again["startJob"]["requested"]) == ("ABORTED", "QUEUED")
    deleted = await graphql_data(
        client,
        "mutation($id: ID!) { deleteJob(id: $id) { __typename ... on DeletedJob { id } } }",
        {"id": created["id"]},
    )
    assert deleted["deleteJob"] == {"__typename": "DeletedJob", "id": created["id"]}
    assert (await graphql_data(client, JOB, {"id": created["id"]}))["job"] is None
    missing = await graphql_data(
        client,
        'mutation { abortJob(id: "nope") { __typename ... on UnknownJob { jobId } } }',
    )
    assert missing["abortJob"] == {"__typename": "UnknownJob", "jobId": "nope"}


async def test_jobs_list_filters_and_job_types(client: httpx.AsyncClient) -> None:
    pending = await create(client, "test.sleep", {}, run=False)
    done = await create(client, "test.sleep", {})
    await wait_final(client, done["id"])
    data = await graphql_data(
        client,
        "{ pendingOnly: jobs(phases: [PENDING]) { id } newest: jobs(last: 1) { id } "
        "jobTypes { name description parameters } }",
    )
    assert [j["id"] for j in data["pendingOnly"]] == [pending["id"]]
    assert [j["id"] for j in data["newest"]] == [done["id"]]
    types = {t["name"]: t for t in data["jobTypes"]}
    assert {"query.tap", "query.multi", "test.sleep"} <= set(types)
    assert "query" in types["query.tap"]["parameters"]["properties"]


async def test_basket_export_job_writes_the_owners_basket(
    client: httpx.AsyncClient, process: Any
) -> None:
    from astropy.table import Table

    from esap_graphql.domain.basket import NewBasketItem
    from esap_graphql.domain.users import LOCAL_USER

    await process.baskets.add(
        LOCAL_USER,
        [
            NewBasketItem(dataset_id="esap-obscore", record_id=f"ivo://x/{i}", ra=float(i), dec=1.0)
            for i in range(4)
        ],
        "mine",
    )
    created = await create(client, "basket.export", {"basket": "mine"})
    job = await wait_final(client, created["id"])
    assert job["phase"] == "COMPLETED", job["error"]
    [result] = job["results"]
    assert (result["name"], result["mimeType"]) == ("basket.vot", "application/x-votable+xml")
    body = (await client.get(result["url"])).content
    import io

    table = Table.read(io.BytesIO(body), format="votable")
    assert sorted(table["record_id"]) == [f"ivo://x/{i}" for i in range(4)]
    csv_job = await create(client, "basket.export", {"basket": "mine", "format": "csv"})
    done = await wait_final(client, csv_job["id"])
    assert done["results"][0]["name"] == "basket.csv"
    assert (await client.get(done["results"][0]["url"])).text.count("ivo://x/") == 4
