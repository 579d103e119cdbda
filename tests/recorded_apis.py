"""A local stand-in for the REST/JSON archives and Sesame, which cannot be reached from here.

It replays answers recorded in each API's documented format (tests/data/http_json,
tests/data/sesame) the way the real service would serve them: ALTA's Django REST
framework pages with a next link, Zenodo's hits and total by page and size,
Panoptes' projects with meta.projects by page and page_size (and a 404 without
its Accept header), Sesame's XML per name. The archives' own host names in the
recordings are rewritten to this server's address, as a replaying proxy does.
Synthetic routes cover the four paging styles, auth, slow, huge and malformed
answers. The server runs once per test session (``recorded_apis`` fixture).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.servers import serve_in_thread

DATA = Path(__file__).parent / "data"
API_KEY = "s3cret-token-for-tests"
ALTA_PAGE = 2  # ALTA's own page size here (the real one is 500); it takes no size parameter


def _load(name: str) -> Any:
    return json.loads((DATA / "http_json" / name).read_text(encoding="utf-8"))


@dataclass
class Seen:
    """One request as the stand-in received it."""

    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


@dataclass
class RecordedApis:
    """The running stand-in: its base URL and every request it received."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)

    def requests(self, prefix: str) -> list[Seen]:
        """Requests whose path starts with ``prefix``."""
        return [s for s in self.seen if s.path.startswith(prefix)]

    def clear(self) -> None:
        self.seen.clear()

    def _rewrite(self, data: Any) -> Any:
        text = json.dumps(data)
        for host in ("https://alta.astron.nl", "https://zenodo.org", "https://www.zooniverse.org"):
            text = text.replace(host, self.url)
        return json.loads(text)

    # ---- the archives, as documented

    async def alta(self, request: Request) -> Response:
        recorded = _load("alta-dataproducts.json")
        items = recorded["results"]
        q = request.query_params
        if "target__icontains" in q:
            needle = q["target__icontains"].lower()
            items = [i for i in items if needle in (i["target"] or "").lower()]
        if "dataProductType" in q:
            items = [i for i in items if i["dataProductType"] == q["dataProductType"]]
        page = int(q.get("page", "1"))
        start = (page - 1) * ALTA_PAGE
        following = None
        if start + ALTA_PAGE < len(items):
            rest = [(k, v) for k, v in q.multi_items() if k != "page"] + [("page", str(page + 1))]
            following = str(request.url.replace_query_params(**dict(rest)))
        body = {
            "count": len(items),
            "next": following,
            "previous": None,
            "results": self._rewrite(items[start : start + ALTA_PAGE]),
        }
        return JSONResponse(body)

    async def zenodo(self, request: Request) -> Response:
        recorded = _load("zenodo-records.json")
        hits = recorded["hits"]["hits"]
        q = request.query_params
        if q.get("communities") not in (None, "escape2020"):
            hits = []
        size, page = int(q.get("size", "10")), int(q.get("page", "1"))
        if size > 25 and "authorization" not in request.headers:
            return JSONResponse(
                {"status": 400, "message": "Page size cannot be greater than 25."}, status_code=400
            )
        start = (page - 1) * size
        body = {
            "hits": {"hits": self._rewrite(hits[start : start + size]), "total": len(hits)},
            "aggregations": recorded["aggregations"],
            "links": {"self": str(request.url)},
        }
        return JSONResponse(body)

    async def zooniverse(self, request: Request) -> Response:
        if request.headers.get("accept") != "application/vnd.api+json; version=1":
            return JSONResponse({"errors": [{"message": "Not Found"}]}, status_code=404)
        recorded = _load("zooniverse-projects.json")
        projects = recorded["projects"]
        q = request.query_params
        if "display_name" in q:
            projects = [p for p in projects if p["display_name"] == q["display_name"]]
        if q.get("live") == "true":
            projects = [p for p in projects if p["live"] == "true"]
        size, page = int(q.get("page_size", "20")), int(q.get("page", "1"))
        start = (page - 1) * size
        pages = max(1, -(-len(projects) // size))
        meta = dict(recorded["meta"]["projects"])
        meta.update(
            page=page,
            page_size=size,
            count=len(projects),
            page_count=pages,
            next_page=page + 1 if page < pages else None,
            previous_page=page - 1 if page > 1 else None,
        )
        body = {
            "projects": projects[start : start + size],
            "links": recorded["links"],
            "meta": {"projects": meta},
        }
        return JSONResponse(body)

    # ---- synthetic archives: one per paging style, over ``total`` items

    @staticmethod
    def _items(total: int, start: int, count: int) -> list[dict[str, Any]]:
        return [
            {"uid": i, "name": f"item {i}", "pos": {"ra": (i * 1.5) % 360, "dec": 10.0}}
            for i in range(start, min(total, start + count))
        ]

    async def synthetic(self, request: Request) -> Response:
        style = request.path_params["style"]
        q = request.query_params
        total = int(q.get("total", "0"))
        size = int(q.get("size", "10"))
        following: Any = None
        if style == "page":
            start = (int(q.get("page", "1")) - 1) * size
        elif style == "offset":
            start = int(q.get("offset", "0"))
        elif style == "cursor":
            token = q.get("cursor")
            start = int(base64.b64decode(token).decode()) if token else 0
            if start + size < total:
                following = base64.b64encode(str(start + size).encode()).decode()
        else:  # link
            start = int(q.get("start", "0"))
            if start + size < total:
                rest = {k: v for k, v in q.items() if k != "start"}
                rest["start"] = str(start + size)
                query = "&".join(f"{k}={v}" for k, v in rest.items())
                path = request.url.path
                # via_localhost: the same server under another host name
                base = self.url
                if q.get("via_localhost"):
                    base = base.replace("127.0.0.1", "localhost")
                following = f"{path}?{query}" if q.get("relative") else f"{base}{path}?{query}"
        items = self._items(total, start, size)
        body: dict[str, Any] = {"data": {"items": items}, "meta": {"total": total}}
        if style in ("cursor", "link"):
            body["meta"]["next"] = following
            if style == "link" and q.get("header"):
                del body["meta"]["next"]
                headers = {"Link": f'<{following}>; rel="next"'} if following else {}
                return JSONResponse(body, headers=headers)
        return JSONResponse(body)

    async def auth(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != f"Key {API_KEY}":
            return JSONResponse(
                {"detail": "Authentication credentials were not provided."}, status_code=401
            )
        return await self.synthetic(request)

    async def echo(self, request: Request) -> Response:
        """The query parameters as received, as one record each."""
        items = [{"name": k, "value": v} for k, v in request.query_params.multi_items()]
        return JSONResponse({"data": {"items": items}, "meta": {"total": len(items)}})

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("delay", "5")))
        return JSONResponse({"data": {"items": []}, "meta": {"total": 0}})

    async def huge(self, request: Request) -> Response:
        """A JSON answer of ``bytes`` bytes, streamed without a length (or declaring it)."""
        size = int(request.query_params.get("bytes", "100000"))
        chunk = b'{"uid": 1, "name": "padding padding padding padding"},' * 100

        async def body() -> AsyncIterator[bytes]:
            yield b'{"data": {"items": ['
            sent = 0
            while sent < size:
                yield chunk
                sent += len(chunk)
            yield b'{"uid": 0}]}, "meta": {"total": 1}}'

        if request.query_params.get("declared"):

            async def exact() -> AsyncIterator[bytes]:
                for _ in range(size // 1000):
                    yield b" " * 1000

            return StreamingResponse(exact(), headers={"content-length": str(size // 1000 * 1000)})
        return StreamingResponse(body(), media_type="application/json")

    async def shape(self, request: Request) -> Response:
        bodies: dict[str, bytes] = {
            "not-json": b"<html><body>Service temporarily unavailable</body></html>",
            "records-object": b'{"data": {"items": {"uid": 1}}, "meta": {"total": 1}}',
            "records-missing": b'{"data": {}, "meta": {"total": 0}}',
            "item-text": b'{"data": {"items": [{"uid": 1}, "two"]}, "meta": {"total": 2}}',
            "ra-object": b'{"data": {"items": [{"uid": 1, "pos": {"ra": {"deg": 1}}}]}}',
            "ra-text": b'{"data": {"items": [{"uid": 1, "pos": {"ra": "north"}}]}}',
            "total-text": b'{"data": {"items": []}, "meta": {"total": "many"}}',
            "next-object": b'{"data": {"items": [{"uid": 1}]}, "meta": {"next": {"a": 1}}}',
            "deep": b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "next-away": (
                b'{"data": {"items": [{"uid": 1}]}, "meta": {"next": "http://127.0.0.2:9/steal"}}'
            ),
        }
        return Response(bodies[request.path_params["case"]], media_type="application/json")

    async def redirect(self, request: Request) -> Response:
        where = request.path_params["where"]
        if where == "away":
            return Response(status_code=302, headers={"location": "http://127.0.0.2:9/steal"})
        return Response(
            status_code=302, headers={"location": "/synthetic/page?total=3&size=10&page=1"}
        )

    # ---- Sesame mirrors

    async def sesame(self, request: Request) -> Response:
        mirror = request.path_params["mirror"]
        name = unquote(request.url.query)
        if mirror == "down":
            return Response(b"Service Unavailable", status_code=503)
        if mirror == "garbage":
            return Response(b"<html><body>maintenance</body></html>", media_type="text/html")
        if mirror == "slow":
            await asyncio.sleep(5)
        files = {"M 31": "m31.xml", "ESAP Field A": "esap-field-a.xml"}
        recorded = files.get(name)
        if recorded is not None:
            body = (DATA / "sesame" / recorded).read_bytes()
        else:
            template = "not-found-per-resolver.xml" if "per" in mirror else "not-found.xml"
            text = (DATA / "sesame" / template).read_text(encoding="utf-8")
            body = text.replace("<name>NAME</name>", f"<name>{escape(name)}</name>").encode()
        return Response(body, media_type="text/xml")

    # ----

    async def _log(self, request: Request) -> None:
        self.seen.append(
            Seen(
                path=request.url.path,
                query=list(request.query_params.multi_items()),
                headers={k.lower(): v for k, v in request.headers.items()},
            )
        )

    def app(self) -> Starlette:
        def logged(handler: Any) -> Any:
            async def run(request: Request) -> Response:
                await self._log(request)
                response: Response = await handler(request)
                return response

            return run

        return Starlette(
            routes=[
                Route("/altapi/dataproducts", logged(self.alta)),
                Route("/api/records", logged(self.zenodo)),
                Route("/api/projects", logged(self.zooniverse)),
                Route("/synthetic/{style}", logged(self.synthetic)),
                Route("/auth/{style}", logged(self.auth)),
                Route("/echo", logged(self.echo)),
                Route("/slow", logged(self.slow)),
                Route("/huge", logged(self.huge)),
                Route("/shape/{case}", logged(self.shape)),
                Route("/redirect/{where}", logged(self.redirect)),
                Route("/sesame/{mirror}/-oxp/{databases}", logged(self.sesame)),
            ]
        )


@pytest.fixture(scope="session")
def recorded_apis() -> Iterator[RecordedApis]:
    """The stand-in, running for the whole session."""
    apis = RecordedApis()
    with serve_in_thread(apis.app()) as url:
        apis.url = url
        yield apis
