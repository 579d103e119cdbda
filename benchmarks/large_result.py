"""A 10,000-row result through GraphQL: the time the gateway adds to the archive's answer.

The cone (150, 2) r=1 on the local DaCHS cone search holds 11,000 sources;
with the default record limit the gateway fetches 10,000 of them (an
OVERFLOW result) and serves them in one page of 10,000.

1. Over HTTP, the gateway running as its own process with its cache off:
   the archive's own answer (a plain GET of the gateway's native query URL)
   against the whole GraphQL request, for three selections: ``rows { id ra
   dec }``, every typed Record field, and the ``table`` JSON field. The
   difference is the time spent in the gateway (parse, mapping,
   serialisation, plus one local HTTP hop). Target: under 100 ms.
2. In-process, the same answer's bytes taken apart: VOTable parse, results
   check, mapping to records, GraphQL execution, JSON encoding.
3. With ``--profile``, a cProfile of the in-process path for one selection.

    .venv/bin/python benchmarks/large_result.py [--repeat 15] [--profile full]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from gateway_process import running_gateway
from starlette.requests import Request

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esap_graphql.connectors.votable import (  # noqa: E402
    check_results,
    parse_votable,
    table_to_records,
    votable_to_result,
)
from esap_graphql.connectors.votable_binary import decode_rows, split_binary_stream  # noqa: E402
from esap_graphql.domain.archives import Protocol  # noqa: E402
from esap_graphql.domain.records import ResultSet  # noqa: E402
from esap_graphql.domain.users import LOCAL_USER  # noqa: E402
from esap_graphql.factory import gateway_context  # noqa: E402
from esap_graphql.json_encoding import dumps  # noqa: E402
from esap_graphql.web.authentication import Caller  # noqa: E402

CATALOGUE = ROOT / "tests" / "data" / "dachs-catalogue.yaml"
PARAMS = "{ra: 150, dec: 2, radius: 1}"
FULL = (
    "id title target ra dec fov dataproductType calibrationLevel collection sizeBytes "
    "accessUrl accessFormat thumbnailUrl"
)
SELECTIONS = {
    "rows { id ra dec }": "rows { id ra dec }",
    "rows { all 13 typed fields }": f"rows {{ {FULL} }}",
    "rows { id fields }": "rows { id fields }",
    "table (JSON)": "table",
}


def document(selection: str) -> str:
    return (
        f'{{ dataset(id: "esap-sources") {{ query(params: {PARAMS}, pageSize: 10000) '
        f"{{ status totalCount {selection} }} }} }}"
    )


def median_ms(func: Callable[[], object], repeat: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def over_http(repeat: int) -> tuple[str, bytes]:
    """Part 1; returns the native query URL and the archive's answer."""
    with tempfile.TemporaryDirectory() as tmp:
        gateway_env = {"ESAP_DATA_DIR": tmp, "ESAP_CACHE_TTL": "0"}
        with running_gateway(config=CATALOGUE, env=gateway_env) as url:
            gateway = httpx.Client(base_url=url, timeout=120)
            archive = httpx.Client(timeout=120)
            first = gateway.post(
                "/graphql", json={"query": document("nativeQuery rows { id }")}
            ).json()["data"]["dataset"]["query"]
            assert first["status"] == "OVERFLOW", first["status"]
            assert len(first["rows"]) == 10_000
            native = first["nativeQuery"]
            body = archive.get(native).content
            docs = {label: document(selection) for label, selection in SELECTIONS.items()}
            sizes = {
                label: len(gateway.post("/graphql", json={"query": doc}).content)
                for label, doc in docs.items()
            }
            # interleaved, so that load on this machine (DaCHS runs here too) hits all alike
            raw_times: list[float] = []
            whole_times: dict[str, list[float]] = {label: [] for label in docs}
            for _ in range(repeat):
                start = time.perf_counter()
                _ = archive.get(native).content
                raw_times.append((time.perf_counter() - start) * 1000)
                for label, doc in docs.items():
                    start = time.perf_counter()
                    _ = gateway.post("/graphql", json={"query": doc}).content
                    whole_times[label].append((time.perf_counter() - start) * 1000)
            raw, raw_min = statistics.median(raw_times), min(raw_times)
            print(f"archive answer: {len(body) / 1e6:.2f} MB VOTable, {native}")
            print(f"repetitions: {repeat}, interleaved; median (and minimum)\n")
            print("| selection | response | archive alone | whole GraphQL request | gateway adds |")
            print("|---|---|---|---|---|")
            for label in docs:
                whole, whole_min = statistics.median(whole_times[label]), min(whole_times[label])
                print(
                    f"| `{label}` | {sizes[label] / 1e6:.2f} MB | {raw:.1f} ({raw_min:.1f}) ms "
                    f"| {whole:.1f} ({whole_min:.1f}) ms "
                    f"| {whole - raw:.1f} ({whole_min - raw_min:.1f}) ms |"
                )
    return native, body


class Replay:
    """A connector that answers every query by mapping the recorded bytes, as the SCS one does."""

    def __init__(self, body: bytes, url: str) -> None:
        self.body = body
        self.url = url

    def native_query(self, dataset: Any, params: Any, *, limit: int) -> str:
        return self.url

    async def query(self, dataset: Any, params: Any, *, limit: int, timeout: float) -> ResultSet:
        from pyvo.dal.scs import SCSResults

        return await asyncio.to_thread(
            votable_to_result,
            self.body,
            url=self.url,
            native_query=self.url,
            field_map=dataset.field_map,
            limit=limit,
            results_class=SCSResults,
        )

    async def tables(self, dataset: Any, *, timeout: float) -> tuple[()]:
        return ()


def in_process(body: bytes, url: str, repeat: int, profile: str | None) -> None:
    """Parts 2 and 3."""
    from pyvo.dal.scs import SCSResults

    from esap_graphql.app import GatewayGraphQL
    from esap_graphql.config import Settings

    def read() -> ResultSet:
        return votable_to_result(
            body, url=url, native_query=url, field_map={}, limit=10_000, results_class=SCSResults
        )

    astropy_ms = median_ms(lambda: parse_votable(body, url=url), repeat)
    split_ms = median_ms(lambda: split_binary_stream(body), repeat)
    split = split_binary_stream(body)
    assert split is not None, "the answer is not a BINARY VOTable"
    meta_ms = median_ms(lambda: parse_votable(split.metadata, url=url), repeat)
    fields = parse_votable(split.metadata, url=url).get_first_table().fields
    decode_ms = median_ms(lambda: decode_rows(split.rows, fields), repeat)
    read_ms = median_ms(read, repeat)
    votable = parse_votable(body, url=url)
    table, _, _ = check_results(votable, url=url, results_class=SCSResults)
    astropy_map_ms = median_ms(lambda: table_to_records(table, {}, limit=10_000), repeat)
    print("\nIn-process, the same answer's bytes (medians):\n")
    print("| step | time |\n|---|---|")
    print(f"| gateway read, all of it (`votable_to_result`) | {read_ms:.1f} ms |")
    print(f"| of which: cut the BINARY stream out, base64-decode it | {split_ms:.1f} ms |")
    print(f"| of which: astropy parses the metadata | {meta_ms:.1f} ms |")
    print(f"| of which: decode 10,000 rows (`votable_binary`) | {decode_ms:.1f} ms |")
    print(
        f"| of which: check and map to records | "
        f"{read_ms - split_ms - meta_ms - decode_ms:.1f} ms |"
    )
    print(f"| for comparison: astropy parses the whole answer | {astropy_ms:.1f} ms |")
    print(f"| for comparison: mapping astropy's table | {astropy_map_ms:.1f} ms |")

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(config=CATALOGUE, data_dir=Path(tmp), cache_ttl=300)
            replay = Replay(body, url)
            process = await gateway_context(
                settings,
                connectors={p: replay for p in Protocol},  # type: ignore[misc]
            )
            # as `esap-graphql serve` does: keep start-up objects out of the collector's walks
            gc.collect()
            gc.freeze()
            try:
                app = GatewayGraphQL(process)
                schema = app.schema
                # a request as the authentication middleware leaves it: the local user
                request = Request({"type": "http", "user": Caller(LOCAL_USER), "headers": []})
                context = await app.get_context(request, None)

                async def execute(doc: str) -> Any:
                    context.loaders = type(context.loaders)(process.queries)
                    result = await schema.execute(doc, context_value=context)
                    assert not result.errors, result.errors
                    return result.data

                # the cache is warm after the first call: this times GraphQL alone
                for label, selection in SELECTIONS.items():
                    doc = document(selection)
                    await execute(doc)
                    times, encodings = [], []
                    for _ in range(repeat):
                        start = time.perf_counter()
                        data = await execute(doc)
                        middle = time.perf_counter()
                        dumps({"data": data})
                        end = time.perf_counter()
                        times.append((middle - start) * 1000)
                        encodings.append((end - middle) * 1000)
                    print(
                        f"| GraphQL execution, `{label}` | {statistics.median(times):.1f} ms "
                        f"(+ JSON encoding {statistics.median(encodings):.1f} ms) |"
                    )
                if profile is not None:
                    selection = {
                        "ids": "rows { id ra dec }",
                        "full": f"rows {{ {FULL} }}",
                        "table": "table",
                    }[profile]
                    profiler = cProfile.Profile()
                    profiler.enable()
                    read()
                    data = await execute(document(selection))
                    dumps({"data": data})
                    profiler.disable()
                    print(f"\ncProfile: read + GraphQL ({profile!r}, cache warm) + JSON:")
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            finally:
                await process.aclose()

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", choices=["ids", "full", "table"], default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    native, body = over_http(args.repeat)
    in_process(body, native, args.repeat, args.profile)


if __name__ == "__main__":
    main()
