"""The egress policy against hostile archives: nothing an archive hands back sends the gateway
anywhere but to the archive itself, and no address outside the policy is ever connected to."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings, parse_catalogue
from esap_graphql.connectors.egress import EgressPolicy, EgressRefused, GuardedBackend
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.factory import gateway_context
from tests.security.hostile import ONE_ROW, HostileArchive, catalogue, hostile_archive
from tests.support import graphql_data

QUERY = """query($id: ID!) { dataset(id: $id) { query(params: {}) {
    status rows { id } error { __typename code message } } } }"""
NAMES = ("away", "home", "ok", "elsewhere", "canary-result", "metadata-result", "good-result")


@pytest.fixture(scope="module")
def archive() -> Iterator[HostileArchive]:
    with hostile_archive() as served:
        yield served


@pytest.fixture
async def client(archive: HostileArchive, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path, job_remote_timeout=5, job_remote_poll_interval=0.1, query_timeout=8
    )
    process = await gateway_context(
        settings, catalogue=parse_catalogue(catalogue(archive, *NAMES), source="hostile")
    )
    try:
        async with (
            LifespanManager(create_app(settings, process=process)) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as http,
        ):
            yield http
    finally:
        await process.aclose()


async def query(client: httpx.AsyncClient, dataset: str) -> dict[str, Any]:
    data = await graphql_data(client, QUERY, {"id": dataset})
    result: dict[str, Any] = data["dataset"]["query"]
    return result


async def test_a_redirect_to_another_host_is_not_followed(
    client: httpx.AsyncClient, archive: HostileArchive
) -> None:
    result = await query(client, "away")
    assert result["status"] == "ERROR"
    assert result["error"]["__typename"] == "ArchiveFailure"
    assert "redirected to another host; not followed" in result["error"]["message"]
    assert archive.canary.hits == []


async def test_a_redirect_within_the_archive_is_followed(
    client: httpx.AsyncClient, archive: HostileArchive
) -> None:
    result = await query(client, "home")
    assert result["status"] == "OK"
    assert [row["id"] for row in result["rows"]] == ["one"]
    assert "POST /home/sync" in archive.requests
    assert "GET /ok/sync" in archive.requests  # 303: the follow-up is a GET


async def test_capabilities_and_tables_fail_alone_and_show_nothing_foreign(
    client: httpx.AsyncClient, archive: HostileArchive
) -> None:
    body = await client.post(
        "/graphql",
        json={
            "query": '{ dataset(id: "away") { id queryFields { name } tables { name } '
            "capabilities { standardId } } }"
        },
    )
    answer = body.json()
    # the fields that need no archive stay; each failed field is null with a coded error
    assert answer["data"]["dataset"]["id"] == "away"
    assert answer["data"]["dataset"]["queryFields"]
    assert answer["data"]["dataset"]["tables"] is None
    assert answer["data"]["dataset"]["capabilities"] is None
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in answer["errors"]}
    assert codes == {
        ("dataset", "tables"): "archive_failure",
        ("dataset", "capabilities"): "archive_failure",
    }
    assert "canary secret" not in body.text
    assert archive.canary.hits == []


async def create_job(client: httpx.AsyncClient, dataset: str) -> str:
    data = await graphql_data(
        client,
        """mutation($p: JSON!) { createJob(type: "query.tap", run: true, parameters: $p) {
            ... on Job { id } ... on Error { message } } }""",
        {"p": {"dataset": dataset, "query": "SELECT TOP 1 * FROM ivoa.obscore"}},
    )
    job_id: str = data["createJob"]["id"]
    return job_id


async def finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            data = await graphql_data(
                client,
                "query($id: ID!) { job(id: $id) { phase results { name size } "
                "error { type code message } } }",
                {"id": job_id},
            )
            job: dict[str, Any] = data["job"]
            if job["phase"] in {"COMPLETED", "ERROR", "ABORTED"}:
                return job
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("dataset", ["elsewhere", "canary-result", "metadata-result"])
async def test_async_job_links_to_other_hosts_are_not_followed(
    client: httpx.AsyncClient, archive: HostileArchive, dataset: str
) -> None:
    job = await finished(client, await create_job(client, dataset))
    assert job["phase"] == "ERROR"
    assert job["error"]["type"] == "TRANSIENT"
    assert "another host; not followed" in job["error"]["message"]
    assert job["results"] == []
    assert archive.canary.hits == []


async def test_an_async_job_on_the_archive_itself_completes(
    client: httpx.AsyncClient, archive: HostileArchive
) -> None:
    job = await finished(client, await create_job(client, "good-result"))
    assert job["phase"] == "COMPLETED", job
    assert job["results"] == [{"name": "result.vot", "size": len(ONE_ROW)}]
    assert "DELETE /good-result/async/7" in archive.requests  # the remote job is cleaned up


def test_urls_are_followed_only_to_the_service_or_the_hosts_allowed_for_it() -> None:
    policy = EgressPolicy(follow={"archive.org": ["data.archive.org"]})
    service = "https://archive.org/tap"
    assert policy.may_follow("https://archive.org/tap/async/1", service)
    assert policy.may_follow("https://data.archive.org/f.fits", service)
    assert not policy.may_follow("http://archive.org/tap/async/1", service)  # scheme changed
    assert not policy.may_follow("https://archive.org:8443/x", service)  # another port
    assert not policy.may_follow("https://169.254.169.254/latest", service)
    assert not policy.may_follow("file:///etc/passwd", service)
    assert not policy.may_follow("https://data.archive.org/x", "https://other.org/tap")


def test_addresses_are_pinned_at_first_resolution() -> None:
    policy = EgressPolicy()
    policy.vet("archive.example", ["192.0.2.10", "198.51.100.7"])  # documentation: not global
    policy.vet("public.example", ["8.8.8.8"])
    with pytest.raises(EgressRefused, match="now resolves to a loopback"):
        policy.vet("public.example", ["127.0.0.1"])  # DNS rebinding
    with pytest.raises(EgressRefused, match="now resolves to a private"):
        policy.vet("public.example", ["8.8.8.8", "10.0.0.5"])
    policy.vet("local-archive", ["127.0.0.1"])  # configured on loopback: keeps working
    policy.vet("local-archive", ["127.0.0.1"])
    with pytest.raises(EgressRefused, match="link-local"):
        policy.vet("metadata.example", ["169.254.169.254"])
    with pytest.raises(EgressRefused, match="link-local"):
        policy.vet("local-archive", ["fe80::1"])
    policy.vet("169.254.169.254", ["169.254.169.254"])  # only when the URL names it itself


async def test_the_guarded_backend_connects_to_the_vetted_address_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name that resolves to a public address first and to loopback next (DNS rebinding) is
    refused before any connection; the address connected to is the one vetted."""
    answers = iter([["8.8.8.8"], ["127.0.0.1"]])
    connected: list[str] = []

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    class Inner(httpcore.AsyncNetworkBackend):
        async def connect_tcp(self, host: str, port: int, **_: Any) -> httpcore.AsyncNetworkStream:
            connected.append(host)
            raise httpcore.ConnectError("stop here")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    backend = GuardedBackend(EgressPolicy(), inner=Inner())
    with pytest.raises(httpcore.ConnectError, match="stop here"):
        await backend.connect_tcp("rebind.example", 443)
    with pytest.raises(EgressRefused, match=r"rebind\.example: now resolves to a loopback"):
        await backend.connect_tcp("rebind.example", 443)
    assert connected == ["8.8.8.8"]


async def test_a_real_request_through_the_guarded_clients(archive: HostileArchive) -> None:
    clients = ServiceClients(timeout=httpx.Timeout(5), per_service=2, policy=EgressPolicy())
    try:
        body = await clients.fetch(archive.url, "POST", f"{archive.url}/ok/sync", timeout=5)
        assert body == ONE_ROW
    finally:
        await clients.aclose()
