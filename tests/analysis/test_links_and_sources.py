"""Launch links after each service's documented format (BinderHub cannot run here, so its URLs
are checked against the format its documentation gives), and fetching workflows: a real git
repository over file://, Zenodo's REST API answered in its documented format by a local server.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from esap_graphql.connectors.workflow_sources import (
    Limits,
    SourceFetcher,
    SourceInvalid,
    SourceUnavailable,
)
from esap_graphql.domain.analysis import GitSource, ZenodoSource
from esap_graphql.services.analysis_links import binder_url, nbgitpuller_url, notebook_url
from tests.analysis.hub import make_git_workflow, notebook
from tests.servers import free_port, serve_in_thread

MYBINDER = "https://mybinder.org"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            GitSource(repository="https://github.com/org/repo", ref="main", path="a/b.ipynb"),
            "https://mybinder.org/v2/gh/org/repo/main?labpath=a%2Fb.ipynb",
        ),
        (
            GitSource(repository="https://github.com/org/repo.git"),
            "https://mybinder.org/v2/gh/org/repo/HEAD",
        ),
        (
            GitSource(repository="https://gitlab.com/group/sub/repo", ref="v1.0"),
            "https://mybinder.org/v2/gl/group%2Fsub%2Frepo/v1.0",
        ),
        (
            GitSource(
                repository="https://git.astron.nl/esap/notebooks.git",
                ref="release/2",
                path="nb.ipynb",
            ),
            "https://mybinder.org/v2/git/https%3A%2F%2Fgit.astron.nl%2Fesap%2Fnotebooks.git/"
            "release%2F2?labpath=nb.ipynb",
        ),
        (
            ZenodoSource(record="3242074", file="index.ipynb"),
            "https://mybinder.org/v2/zenodo/10.5281/zenodo.3242074/?labpath=index.ipynb",
        ),
    ],
)
def test_binder_urls_follow_the_documented_format(
    source: GitSource | ZenodoSource, expected: str
) -> None:
    assert binder_url(MYBINDER + "/", source, "lab") == expected


def test_binder_classic_urls_use_urlpath() -> None:
    source = GitSource(repository="https://github.com/org/repo", ref="main", path="x y.ipynb")
    assert binder_url(MYBINDER, source, "tree") == (
        "https://mybinder.org/v2/gh/org/repo/main?urlpath=tree%2Fx%20y.ipynb"
    )


def test_notebook_and_nbgitpuller_links() -> None:
    hub, server = "https://hub.example.org/", "/user/alice/esap/"
    assert notebook_url(hub, server, "lab", "wf/a b.ipynb") == (
        "https://hub.example.org/user/alice/esap/lab/tree/wf/a%20b.ipynb"
    )
    default_branch = GitSource(repository="https://github.com/org/repo")
    assert nbgitpuller_url(hub, server, "tree", default_branch, "wf-git") == (
        "https://hub.example.org/user/alice/esap/git-pull?repo=https%3A%2F%2Fgithub.com%2Forg"
        "%2Frepo&urlpath=tree%2Fwf-git&targetpath=wf-git"
    )


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_git_workflow(tmp_path_factory.mktemp("repo") / "wf", notebook("print(1)"))


@pytest.fixture
async def fetcher() -> Iterator[SourceFetcher]:
    async with httpx.AsyncClient() as http:
        yield SourceFetcher(http=http, limits=Limits(timeout=30))


async def test_git_checkout_of_a_branch(repository: str, fetcher: SourceFetcher) -> None:
    files = await fetcher.fetch(
        GitSource(repository=repository, ref="main", path="notebooks/look.ipynb")
    )
    assert sorted(f.path for f in files) == ["README.md", "notebooks/look.ipynb"]
    readme = next(f for f in files if f.path == "README.md")
    assert readme.content == b"A workflow for the tests.\n"
    assert [f.path for f in await fetcher.fetch(GitSource(repository=repository))] == [
        "README.md",
        "notebooks/look.ipynb",
    ]


async def test_git_problems_are_typed(repository: str, fetcher: SourceFetcher) -> None:
    with pytest.raises(SourceInvalid, match="git failed"):
        await fetcher.fetch(GitSource(repository=repository, ref="no-such-branch"))
    with pytest.raises(SourceInvalid, match=r"has no file 'missing\.ipynb'"):
        await fetcher.fetch(GitSource(repository=repository, ref="main", path="missing.ipynb"))
    dead = f"http://127.0.0.1:{free_port()}/repo.git"
    with pytest.raises(SourceUnavailable):
        await fetcher.fetch(GitSource(repository=dead))


async def test_workflows_are_bounded(repository: str) -> None:
    async with httpx.AsyncClient() as http:
        small = SourceFetcher(http=http, limits=Limits(max_files=1))
        with pytest.raises(SourceInvalid, match="more than 1 files"):
            await small.fetch(GitSource(repository=repository))


# Zenodo's GET /api/records/{id}, as documented (https://developers.zenodo.org/#records),
# trimmed to the fields a launch reads.
RECORD = {
    "id": 4044010,
    "doi": "10.5281/zenodo.4044010",
    "metadata": {"title": "Spectra notebooks", "resource_type": {"type": "software"}},
    "files": [
        {
            "id": "5c3a1d2e-0000-4000-8000-000000000001",
            "key": "spectra.ipynb",
            "size": 15,
            "checksum": "md5:0cc175b9c0f1b6a831c399e269772661",
            "links": {"self": "{base}/api/records/4044010/files/spectra.ipynb/content"},
        },
        {
            "id": "5c3a1d2e-0000-4000-8000-000000000002",
            "key": "environment.yml",
            "size": 20,
            "checksum": "md5:92eb5ffee6ae2fec3ad71c777531578f",
            "links": {"self": "{base}/api/records/4044010/files/environment.yml/content"},
        },
    ],
}
CONTENT = {"spectra.ipynb": b'{"cells": [1]}\n', "environment.yml": b"dependencies: [numpy]"}


@pytest.fixture(scope="module")
def zenodo() -> Iterator[str]:
    base: list[str] = []

    async def record(request: Request) -> Response:
        if request.path_params["id"] != "4044010":
            return JSONResponse({"status": 404, "message": "PID does not exist."}, 404)
        text = JSONResponse(RECORD).body.decode().replace("{base}", base[0])
        return Response(text, media_type="application/json")

    async def content(request: Request) -> Response:
        return Response(CONTENT[request.path_params["key"]], media_type="application/octet-stream")

    app = Starlette(
        routes=[
            Route("/api/records/{id}", record),
            Route("/api/records/{id}/files/{key}/content", content),
        ]
    )
    with serve_in_thread(app) as url:
        base.append(url)
        yield url


async def test_zenodo_record_files(zenodo: str, fetcher: SourceFetcher) -> None:
    one = await fetcher.fetch(ZenodoSource(record="4044010", file="spectra.ipynb", base_url=zenodo))
    assert [(f.path, f.content) for f in one] == [("spectra.ipynb", CONTENT["spectra.ipynb"])]
    every = await fetcher.fetch(ZenodoSource(record="4044010", base_url=zenodo))
    assert [f.path for f in every] == ["spectra.ipynb", "environment.yml"]
    with pytest.raises(SourceInvalid, match=r"has no file 'other\.ipynb'"):
        await fetcher.fetch(ZenodoSource(record="4044010", file="other.ipynb", base_url=zenodo))
    with pytest.raises(SourceInvalid, match="not found"):
        await fetcher.fetch(ZenodoSource(record="1", base_url=zenodo))
