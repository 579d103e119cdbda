"""Sesame name resolution on answers recorded in its documented XML, replayed locally.

CDS cannot be reached from here: tests/recorded_apis.py serves the recorded
answers as mirrors that work, are down, or answer garbage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esap_graphql.connectors.sesame import SesameNameSource, parse_sesame, sesame_url
from esap_graphql.domain.errors import ArchiveFailure, ArchiveUnreachable, MalformedResponse
from tests.recorded_apis import DATA, RecordedApis

REFUSED = "http://127.0.0.1:9/sesame"  # nothing listens on the discard port


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def recorded(name: str) -> bytes:
    return (DATA / "sesame" / name).read_bytes()


def test_a_found_name() -> None:
    found = parse_sesame(recorded("m31.xml"), url="u", name="M 31")
    assert found is not None
    assert (found.ra, found.dec) == (10.684708333, 41.26875)
    assert found.resolver == "Simbad"
    assert found.object_name == "M 31"
    assert found.name == "M 31"


@pytest.mark.parametrize("answer", ["not-found.xml", "not-found-per-resolver.xml"])
def test_nothing_found(answer: str) -> None:
    assert parse_sesame(recorded(answer), url="u", name="xyzzy") is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html><body>maintenance</body></html>", "not a Sesame answer"),
        (b"not xml at all", "not XML"),
        (b"<Sesame></Sesame>", "without a Target"),
        (
            b'<!DOCTYPE Sesame [<!ENTITY a "aaaa">]><Sesame><Target/></Sesame>',
            "document type declaration",
        ),
        (
            b"<Sesame><Target><Resolver name='S=x'><jradeg>400</jradeg>"
            b"<jdedeg>0</jdedeg></Resolver></Target></Sesame>",
            "impossible position",
        ),
        (
            b"<Sesame><Target><Resolver name='S=x'><jradeg>nan</jradeg>"
            b"<jdedeg>0</jdedeg></Resolver></Target></Sesame>",
            "impossible position",
        ),
    ],
)
def test_answers_that_are_not_sesame(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        parse_sesame(body, url="https://cds/x", name="n")
    assert problem in caught.value.message


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=60))
def test_a_name_is_only_ever_the_query_string(name: str) -> None:
    url = sesame_url("https://cds.unistra.fr/cgi-bin/nph-sesame/", "SNV", name)
    parts = urlsplit(url)
    assert parts.netloc == "cds.unistra.fr"
    assert parts.path == "/cgi-bin/nph-sesame/-oxp/SNV"
    assert parts.fragment == ""
    assert unquote(parts.query) == name


async def test_the_first_working_mirror_answers(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    base = recorded_apis.url
    source = SesameNameSource(
        http=http,
        mirrors=[REFUSED, f"{base}/sesame/down", f"{base}/sesame/garbage", f"{base}/sesame/ok"],
        timeout=5,
    )
    recorded_apis.clear()
    found = await source.lookup("M 31")
    assert found is not None
    assert found.resolver == "Simbad"
    assert [s.path for s in recorded_apis.requests("/sesame")] == [
        "/sesame/down/-oxp/SNV",
        "/sesame/garbage/-oxp/SNV",
        "/sesame/ok/-oxp/SNV",
    ]


async def test_a_mirror_that_finds_nothing_ends_the_search(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    base = recorded_apis.url
    source = SesameNameSource(
        http=http, mirrors=[f"{base}/sesame/per-resolver", f"{base}/sesame/ok"], timeout=5
    )
    recorded_apis.clear()
    assert await source.lookup("No Such Object 1234") is None
    assert len(recorded_apis.requests("/sesame")) == 1


async def test_every_mirror_down(recorded_apis: RecordedApis, http: httpx.AsyncClient) -> None:
    base = recorded_apis.url
    source = SesameNameSource(
        http=http, mirrors=[REFUSED, f"{base}/sesame/down", f"{base}/sesame/garbage"], timeout=5
    )
    with pytest.raises(ArchiveUnreachable) as caught:
        await source.lookup("M 31")
    message = caught.value.message
    assert "no Sesame mirror answered" in message
    assert "HTTP 503" in message
    assert "not a Sesame answer" in message
    one = SesameNameSource(http=http, mirrors=[f"{base}/sesame/down"], timeout=5)
    with pytest.raises(ArchiveFailure) as single:
        await one.lookup("M 31")
    assert single.value.status == 503
