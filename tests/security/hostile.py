"""Hostile archives on loopback, and a canary that records every request reaching it.

One Starlette app under a real uvicorn server plays every misbehaving archive: each path
prefix is one way of attacking the gateway (redirecting away, answering forever, a gzip bomb,
an async TAP service whose job and result links point elsewhere). The canary is a second
server on another port: an egress policy that holds sends it nothing.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.servers import serve_in_thread

#: A TAP answer with one row, as a VOTable.
ONE_ROW = b"""<?xml version="1.0" encoding="utf-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/>
<TABLE><FIELD name="obs_id" datatype="char" arraysize="*"/>
<DATA><TABLEDATA><TR><TD>one</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"""
_HEAD = ONE_ROW.split(b"<TR>")[0]
_VOTABLE = "application/x-votable+xml"


@dataclass
class Canary:
    """A server that must never be reached: it records whatever reaches it."""

    url: str = ""
    hits: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.hits.append(f"{request.method} {request.url.path}")
            return PlainTextResponse("canary secret 7f3a", status_code=500)

        methods = ["GET", "POST", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", anything, methods=methods)])


def uws_job(phase: str, result_href: str | None) -> bytes:
    """A UWS 1.1 job document with one result link."""
    result = f'<uws:result id="result" xlink:href="{result_href}"/>' if result_href else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1">
<uws:jobId>7</uws:jobId><uws:ownerId xsi:nil="true"/><uws:phase>{phase}</uws:phase>
<uws:quote xsi:nil="true"/><uws:creationTime>2026-01-01T00:00:00Z</uws:creationTime>
<uws:startTime xsi:nil="true"/><uws:endTime xsi:nil="true"/>
<uws:executionDuration>0</uws:executionDuration>
<uws:destruction>2100-01-01T00:00:00Z</uws:destruction>
<uws:parameters/><uws:results>{result}</uws:results></uws:job>""".encode()


@dataclass
class HostileArchive:
    """The misbehaving archive; ``url`` is its base once served."""

    canary: Canary
    url: str = ""
    #: Bytes a /huge answer streams.
    huge_bytes: int = 48 * 1024**2
    #: Uncompressed size of the gzip bomb (its compressed body is about a thousandth of it).
    bomb_bytes: int = 512 * 1024**2
    #: Seconds between two bytes of a /drip answer.
    drip_interval: float = 0.5
    requests: list[str] = field(default_factory=list)
    _bomb: bytes = b""

    def bomb(self) -> bytes:
        """The gzip bomb's body, built once."""
        if not self._bomb:
            zeros = b"\0" * 1024**2
            packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # one gzip member
            parts = [packer.compress(zeros) for _ in range(self.bomb_bytes // len(zeros))]
            self._bomb = b"".join(parts) + packer.flush()
        return self._bomb

    def result_link(self, name: str) -> str:
        """Where the finished async job of service ``name`` says its result is."""
        return {
            "canary-result": f"{self.canary.url}/result.vot",
            "metadata-result": "http://169.254.169.254/latest/meta-data/",
            "good-result": f"{self.url}/good-result/async/7/results/result",
            "huge-result": f"{self.url}/huge/sync",
        }[name]

    def app(self) -> Starlette:
        canary = self.canary

        def logged(request: Request) -> None:
            self.requests.append(f"{request.method} {request.url.path}")

        async def redirect_away(request: Request) -> Response:
            logged(request)
            return Response(status_code=302, headers={"location": f"{canary.url}/steal"})

        async def redirect_home(request: Request) -> Response:
            logged(request)
            return Response(status_code=303, headers={"location": "/ok/sync"})

        async def ok(request: Request) -> Response:
            logged(request)
            return Response(ONE_ROW, media_type=_VOTABLE)

        async def huge(request: Request) -> Response:
            logged(request)
            chunk = b"<!--" + b"x" * (1024**2 - 7) + b"-->"

            async def stream() -> AsyncIterator[bytes]:
                yield _HEAD
                for _ in range(self.huge_bytes // len(chunk)):
                    yield chunk

            return StreamingResponse(stream(), media_type=_VOTABLE)

        async def gzip_bomb(request: Request) -> Response:
            logged(request)
            headers = {"content-encoding": "gzip"}
            return Response(self.bomb(), media_type=_VOTABLE, headers=headers)

        async def drip(request: Request) -> Response:
            logged(request)

            async def stream() -> AsyncIterator[bytes]:
                yield _HEAD
                while True:
                    await asyncio.sleep(self.drip_interval)
                    yield b" "

            return StreamingResponse(stream(), media_type=_VOTABLE)

        async def create_job(request: Request) -> Response:
            logged(request)
            name = request.path_params["name"]
            if name == "elsewhere":  # the job itself is on another port
                return Response(status_code=303, headers={"location": f"{canary.url}/jobs/7"})
            return Response(status_code=303, headers={"location": f"{self.url}/{name}/async/7"})

        async def run_job(request: Request) -> Response:
            logged(request)
            name = request.path_params["name"]
            return Response(status_code=303, headers={"location": f"{self.url}/{name}/async/7"})

        async def job(request: Request) -> Response:
            logged(request)
            link = self.result_link(request.path_params["name"])
            return Response(uws_job("COMPLETED", link), media_type="text/xml")

        async def result(request: Request) -> Response:
            logged(request)
            return Response(ONE_ROW, media_type=_VOTABLE)

        async def delete_job(request: Request) -> Response:
            logged(request)
            return Response(status_code=204)

        both = ["GET", "POST"]
        return Starlette(
            routes=[
                Route("/away/{endpoint}", redirect_away, methods=both),
                Route("/home/sync", redirect_home, methods=both),
                Route("/ok/sync", ok, methods=both),
                Route("/huge/sync", huge, methods=both),
                Route("/bomb/sync", gzip_bomb, methods=both),
                Route("/drip/sync", drip, methods=both),
                Route("/drip/async", drip, methods=["POST"]),
                Route("/{name}/async", create_job, methods=["POST"]),
                Route("/{name}/async/7/phase", run_job, methods=["POST"]),
                Route("/{name}/async/7/results/result", result, methods=["GET"]),
                Route("/{name}/async/7", job, methods=["GET"]),
                Route("/{name}/async/7", delete_job, methods=["DELETE"]),
            ]
        )


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 15, every: float = 0.05
) -> bool:
    """True once ``check`` holds (looked at every ``every`` s); False after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(every)
    return True


@contextmanager
def hostile_archive() -> Iterator[HostileArchive]:
    """The hostile archive and its canary, each under a real uvicorn server."""
    canary = Canary()
    with serve_in_thread(canary.app()) as canary_url:
        canary.url = canary_url
        archive = HostileArchive(canary=canary)
        with serve_in_thread(archive.app()) as url:
            archive.url = url
            yield archive


def catalogue(archive: HostileArchive, *names: str, protocol: str = "tap") -> str:
    """A catalogue with one TAP dataset per hostile path prefix (dataset id = prefix)."""
    datasets = "\n".join(
        f"      - {{id: {name}, name: {name}, protocol: {protocol}, "
        f'access_url: "{archive.url}/{name}", table: ivoa.obscore, timeout: 8}}'
        for name in names
    )
    return f"""archives:
  - id: hostile
    name: Hostile archives
    datasets:
{datasets}
"""
