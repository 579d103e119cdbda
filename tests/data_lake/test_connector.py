"""The Rucio connector over an in-memory Rucio: mapping, parameters, threads and timeouts."""

from __future__ import annotations

import ast
import asyncio
import threading
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from esap_graphql.connectors.rucio import REPLICA_BATCH, RucioConnector
from esap_graphql.connectors.rucio_client import sanitise
from esap_graphql.domain.data_lake import NAME_PATTERN, SCOPE_PATTERN
from esap_graphql.domain.errors import (
    ArchiveTimeout,
    ArchiveUnreachable,
    InvalidParameter,
    MalformedResponse,
    UnsupportedParameter,
    UsageError,
)
from esap_graphql.domain.query import QueryParams
from tests.data_lake.support import URL, InMemoryRucio, did, lake, replica, validate


def connector(server: InMemoryRucio) -> RucioConnector:
    return RucioConnector(api_factory=server.factory)


def lofar_lake() -> InMemoryRucio:
    server = InMemoryRucio(
        dids=[
            did("lofar", "L1_SB001.MS"),
            did("lofar", "L1_SB000.MS"),
            did("lofar", "L1_SAP000", "DATASET", size=None),
            did("lofar", "L2_SB000.MS"),
            did("apertif", "L1_SB000.MS"),
        ]
    )
    for name in ("L1_SB000.MS", "L1_SB001.MS"):
        server.replicas[("lofar", name)] = replica(
            "lofar",
            name,
            {
                f"root://eos.test//lofar/{name}": ("EOS", 2),
                f"https://dcache.test/lofar/{name}": ("DCACHE", 1),
                f"file:///data/lofar/{name}": ("LOCAL", 3),
            },
        )
    return server


async def test_a_search_maps_dids_and_their_replicas_to_records() -> None:
    server = lofar_lake()
    rucio = connector(server)
    result = await rucio.query(lake(), validate(target="L1_*"), limit=100, timeout=5)
    await rucio.aclose()

    assert [r.id for r in result.records] == [
        "lofar:L1_SAP000",
        "lofar:L1_SB000.MS",
        "lofar:L1_SB001.MS",
    ]  # sorted by name, the apertif file and L2 left out
    dataset, first, _ = result.records
    assert (first.title, first.collection, first.size_bytes) == ("L1_SB000.MS", "lofar", 10)
    # Rucio's read priority decides the access URL when the dataset prefers no scheme
    assert first.access_url == "https://dcache.test/lofar/L1_SB000.MS"
    assert [r["rse"] for r in first.fields["replicas"]] == ["DCACHE", "EOS", "LOCAL"]
    assert first.fields["replicas"][1] == {
        "rse": "EOS",
        "pfn": "root://eos.test//lofar/L1_SB000.MS",
        "scheme": "root",
        "priority": 2,
    }
    assert (first.fields["adler32"], first.fields["md5"]) == ("0000abcd", "0" * 32)
    assert first.fields["did_type"] == "FILE"
    # a dataset DID has no replicas of its own: no access URL, no replica lookup
    assert (dataset.access_url, dataset.fields["did_type"]) == (None, "DATASET")
    replica_calls = [c for c in server.calls if c[0] == "list_replicas"]
    assert replica_calls == [
        ("list_replicas", (("lofar", "L1_SB000.MS"), ("lofar", "L1_SB001.MS")), ())
    ]
    assert {c.name for c in result.columns} >= {"scope", "name", "adler32", "md5", "replicas"}
    assert not result.overflow


async def test_the_preferred_schemes_come_first_and_are_asked_for() -> None:
    server = lofar_lake()
    rucio = connector(server)
    dataset = lake(schemes=("root", "https"))
    result = await rucio.query(dataset, validate(target="L1_SB000.MS"), limit=10, timeout=5)
    await rucio.aclose()
    (record,) = result.records
    assert record.access_url == "root://eos.test//lofar/L1_SB000.MS"
    assert [r["scheme"] for r in record.fields["replicas"]] == ["root", "https", "file"]
    assert server.calls[-1][2] == ("root", "https")


async def test_the_record_limit_marks_the_result_as_overflowing() -> None:
    server = lofar_lake()
    rucio = connector(server)
    result = await rucio.query(lake(), validate(), limit=2, timeout=5)
    await rucio.aclose()
    assert len(result.records) == 2
    assert result.overflow
    assert server.calls[0] == ("list_dids", "lofar", "*", "all", 3)  # one more than the limit


async def test_replicas_are_asked_for_in_batches() -> None:
    count = REPLICA_BATCH + 3
    server = InMemoryRucio(dids=[did("lofar", f"f{i:05d}") for i in range(count)])
    rucio = connector(server)
    result = await rucio.query(lake(), validate(), limit=count, timeout=5)
    await rucio.aclose()
    sizes = [len(c[1]) for c in server.calls if c[0] == "list_replicas"]
    assert sizes == [REPLICA_BATCH, 3]
    assert len(result.records) == count


async def test_the_scope_is_the_collection_and_the_default_scope_fills_in() -> None:
    server = lofar_lake()
    rucio = connector(server)
    await rucio.query(lake(), validate(collection="apertif"), limit=10, timeout=5)
    await rucio.query(lake(), validate(), limit=10, timeout=5)
    await rucio.aclose()
    scopes = [c[1] for c in server.calls if c[0] == "list_dids"]
    assert scopes == ["apertif", "lofar"]


@pytest.mark.parametrize(
    ("params", "error", "parameter"),
    [
        (validate(ra=10.0, dec=20.0, radius=1.0), UnsupportedParameter, "ra"),
        (validate(calibration_level=2), UnsupportedParameter, "calibrationLevel"),
        (validate(dataproduct_type="image"), UnsupportedParameter, "dataproductType"),
        (validate(collection="no scope with spaces"), InvalidParameter, "collection"),
        (validate(target="L1 SB000"), InvalidParameter, "target"),
        (validate(target="L1%"), InvalidParameter, "target"),
    ],
)
def test_parameters_a_rucio_search_cannot_use_are_refused(
    params: QueryParams, error: type[UsageError], parameter: str
) -> None:
    rucio = RucioConnector(api_factory=InMemoryRucio().factory)
    with pytest.raises(error) as raised:
        rucio.native_query(lake(), params, limit=10)
    assert getattr(raised.value, "parameter", None) == parameter


def test_without_a_default_scope_a_query_must_name_one() -> None:
    rucio = RucioConnector(api_factory=InMemoryRucio().factory)
    with pytest.raises(InvalidParameter, match="needs a scope"):
        rucio.native_query(lake(default_scope=None), validate(target="x*"), limit=10)


def test_a_dataset_fixed_to_a_scope_refuses_another() -> None:
    rucio = RucioConnector(api_factory=InMemoryRucio().factory)
    fixed = lake(collection="lofar")
    assert "/dids/lofar/dids/search" in rucio.native_query(fixed, validate(), limit=10)
    with pytest.raises(InvalidParameter, match="holds only collection 'lofar'"):
        rucio.native_query(fixed, validate(collection="apertif"), limit=10)


def decoded(url: str) -> tuple[str, list[dict[str, Any]], dict[str, list[str]]]:
    """(scope, filters, other query parameters) of a DID search URL, as the server reads it."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    assert segments[:2] == ["", "dids"]
    assert segments[3:] == ["dids", "search"]
    query = parse_qs(parts.query, strict_parsing=True)
    (filters,) = query.pop("filters")
    # Rucio's server reads the filters with ast.literal_eval
    return unquote_plus(segments[2]), ast.literal_eval(filters), query


HOSTILE = [
    "*'}, {'name': '*",
    '*"}] ; DROP TABLE dids; --',
    "L1*' or '1'='1",
    "*%",
    "name.ne=x",
    "*\n*",
    "../../*",
    "L1_SB0\u200b*",
    "*&type=file",
    "*#",
    "a" * 251,
]
SCOPES = st.one_of(
    st.text(max_size=40),
    st.from_regex(SCOPE_PATTERN, fullmatch=True),
    st.sampled_from(["lofar", "user.jdoe", "lofar/../apertif", "lofar?x=1", "a" * 26]),
)
PATTERNS = st.one_of(
    st.text(max_size=300),
    st.from_regex(NAME_PATTERN, fullmatch=True),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(["*", "L1", "_", ".", "/", "-", "'", '"', "%", ",", " "])).map(
        "".join
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scope=SCOPES, target=PATTERNS)
def test_hostile_scopes_and_patterns_never_change_the_request(scope: str, target: str) -> None:
    server = InMemoryRucio()
    rucio = RucioConnector(api_factory=server.factory)
    try:
        params = validate(collection=scope, target=target)
        url = rucio.native_query(lake(), params, limit=10)
    except (InvalidParameter, UnsupportedParameter):
        return
    event("sent")
    sent_scope = params.collection or "lofar"
    sent_pattern = params.target or "*"
    assert SCOPE_PATTERN.match(sent_scope)
    assert NAME_PATTERN.match(sent_pattern)
    scope_in_url, filters, others = decoded(url)
    assert url.startswith(f"{URL}/dids/")
    assert scope_in_url == sent_scope
    assert filters == [{"name": sent_pattern}]
    assert others == {"type": ["all"], "long": ["True"], "recursive": ["False"]}
    result = asyncio.run(rucio.query(lake(), params, limit=10, timeout=5))
    asyncio.run(rucio.aclose())
    assert server.calls[0] == ("list_dids", sent_scope, sent_pattern, "all", 11)
    assert result.native_query == url


@pytest.mark.parametrize("pattern", HOSTILE)
def test_patterns_with_quotes_percent_or_separators_are_refused(pattern: str) -> None:
    rucio = RucioConnector(api_factory=InMemoryRucio().factory)
    with pytest.raises(InvalidParameter) as raised:
        rucio.native_query(lake(), validate(target=pattern), limit=10)
    assert raised.value.parameter == "target"


def test_a_wildcard_pattern_goes_through_literally() -> None:
    rucio = RucioConnector(api_factory=InMemoryRucio().factory)
    url = rucio.native_query(lake(), validate(collection="user.jdoe", target="L1_*/x-y.*"), limit=9)
    assert decoded(url)[:2] == ("user.jdoe", [{"name": "L1_*/x-y.*"}])


async def test_a_call_past_its_timeout_is_given_up_and_its_thread_stops() -> None:
    server = lofar_lake()
    server.block = threading.Event()
    rucio = connector(server)
    with pytest.raises(ArchiveTimeout) as raised:
        await rucio.query(lake(), validate(), limit=10, timeout=0.2)
    assert raised.value.url == URL
    # the worker thread sees the stop flag, returns, and its client is not reused
    for _ in range(200):
        if server.closed:
            break
        await asyncio.sleep(0.01)
    assert server.closed == 1
    server.block = None
    result = await rucio.query(lake(), validate(), limit=10, timeout=5)
    assert len(result.records) == 4
    assert server.built == 2
    await rucio.aclose()


async def test_the_event_loop_keeps_running_while_rucio_answers_slowly() -> None:
    server = lofar_lake()
    server.block = threading.Event()
    rucio = connector(server)
    query = asyncio.create_task(rucio.query(lake(), validate(), limit=10, timeout=5))
    ticks = 0
    while ticks < 20:
        await asyncio.sleep(0.005)
        ticks += 1
    assert not query.done()
    server.block.set()
    assert len((await query).records) == 4
    await rucio.aclose()


async def test_client_objects_are_reused_between_calls() -> None:
    server = lofar_lake()
    rucio = connector(server)
    for _ in range(3):
        await rucio.query(lake(), validate(), limit=10, timeout=5)
    assert await rucio.scopes(lake(), timeout=5) == ("apertif", "lofar")
    assert server.built == 1
    await rucio.aclose()
    assert server.closed == 1


async def test_typed_errors_of_the_api_reach_the_caller_unchanged() -> None:
    server = lofar_lake()
    server.failure = ArchiveUnreachable(URL, "refused")
    rucio = connector(server)
    with pytest.raises(ArchiveUnreachable):
        await rucio.query(lake(), validate(), limit=10, timeout=5)
    assert server.closed == 1  # a client that failed is not kept
    await rucio.aclose()


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        (["not an object"], "dids[0]: expected an object"),
        ([{"scope": "lofar", "name": 7, "did_type": "FILE"}], "dids[0].name: expected a string"),
        ([{"scope": "lofar", "name": "x", "did_type": "BLOB"}], "dids[0].did_type: unknown"),
        (
            [{"scope": "lofar", "name": "x", "did_type": "FILE", "bytes": -1}],
            "dids[0].bytes: expected a size",
        ),
    ],
)
async def test_an_answer_of_the_wrong_shape_is_malformed_with_its_path(
    answer: list[Any], path: str
) -> None:
    server = InMemoryRucio(dids_answer=answer)
    rucio = connector(server)
    with pytest.raises(MalformedResponse) as raised:
        await rucio.query(lake(), validate(), limit=10, timeout=5)
    await rucio.aclose()
    assert path in raised.value.message


async def test_replicas_of_the_wrong_shape_are_malformed() -> None:
    server = InMemoryRucio(dids=[did("lofar", "a")])
    server.replicas[("lofar", "a")] = {"scope": "lofar", "name": "a", "pfns": ["not", "a map"]}
    rucio = connector(server)
    with pytest.raises(MalformedResponse, match=r"replicas\[0\]\.pfns: expected an object"):
        await rucio.query(lake(), validate(), limit=10, timeout=5)
    await rucio.aclose()


def test_archive_messages_are_sanitised() -> None:
    text = "Cannot authenticate\n\x1b[31muser esap password hunter2\x00 " + "x" * 500
    clean = sanitise(text, secrets=["hunter2"])
    assert "hunter2" not in clean
    assert "\n" not in clean
    assert "\x1b" not in clean
    assert "\x00" not in clean
    assert len(clean) <= 200
    assert clean.startswith("Cannot authenticate [31muser esap password ***")


async def test_tables_and_capabilities_need_no_request() -> None:
    server = InMemoryRucio()
    rucio = connector(server)
    (table,) = await rucio.tables(lake(), timeout=1)
    capabilities = await rucio.capabilities(lake(), timeout=1)
    assert [c.name for c in table.columns][:3] == ["scope", "name", "did_type"]
    assert {c.standard_id for c in capabilities} == {"rucio:rest-api", "rucio:auth"}
    assert server.calls == []
