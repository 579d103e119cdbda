"""Abusive GraphQL requests against a gateway process: how fast each is refused, and what the
gateway's memory does.

Starts `esap-graphql serve` over the test catalogue (no archive is asked anything: every case
is refused before execution), then for each class of abuse sends the request a few times over
loopback HTTP and prints the refusal (status, code), the median and worst time until the
answer is received, and the gateway's RSS before, at its peak during the class (VmHWM, reset
between classes through /proc/PID/clear_refs) and after.

    .venv/bin/python benchmarks/abuse_graphql.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from abuse import Memory
from gateway_process import gateway_process

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tests" / "data" / "dachs-catalogue.yaml"
MIB = 1024**2


def fragment_dag(levels: int) -> str:
    parts = ["fragment F0 on Archive { id name }"]
    parts += [f"fragment F{i} on Archive {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
    return f"{{ archives {{ ...F{levels - 1} }} }} " + " ".join(parts)


Case = Callable[[int], bytes]


def cases() -> list[tuple[str, Case]]:
    def document(text: str, variables: object = None) -> Case:
        # a different comment each time: every request is parsed anew, none is answered
        # from the document cache
        def body(n: int) -> bytes:
            return json.dumps({"query": f"{text} # {n}", "variables": variables}).encode()

        return body

    def raw(content: bytes) -> Case:
        return lambda n: content

    nested = "{ archives { " + "datasets { archive { " * 5 + "id" + " } }" * 5 + " } }"
    deep = "{ archives { " + "datasets { archive { " * 20 + "id" + " } }" * 20 + " } }"
    aliases = "{ " + " ".join(f"a{i}: archives {{ id }}" for i in range(800)) + " }"
    mutation = (
        'mutation($items: [BasketItemInput!]!) { addToBasket(basket: "b", items: $items) '
        "{ __typename } }"
    )
    items = [{"dataset": "esap-obscore", "recordId": str(i)} for i in range(100_000)]
    return [
        ("baseline: { __typename }, answered", document("{ __typename }")),
        ("fragment DAG, 60 levels (2^60 fields)", document(fragment_dag(60))),
        ("archive/datasets nesting, 170 bytes", document(nested)),
        ("nesting 40 levels", document(deep)),
        ("150 multiQuery aliases", document("{ " + " ".join(
            f"q{i}: multiQuery(params: {{ra: {i}, dec: 1, radius: 0.1}}) {{ elapsedMs }}"
            for i in range(150)) + " }")),
        ("25 distinct multiQuery questions", document("{ " + " ".join(
            f"q{i}: multiQuery(params: {{ra: {i}, dec: 1, radius: 0.1}}) {{ elapsedMs }}"
            for i in range(25)) + " }")),
        ("800 aliases of archives", document(aliases)),
        ("200,000 tokens", document("{ " + "__typename " * 200_000 + "}")),
        ("100,000 basket items in variables", document(mutation, {"items": items})),
        ("16 MiB body", raw(b'{"query": "{ __typename }", "x": "' + b"x" * 16 * 1024**2 + b'"}')),
        ("JSON nested 100,000 deep", raw(b"[" * 100_000 + b"]" * 100_000)),
        ("invalid UTF-8", raw(b'{"query": "{ \xff\xfe }"}')),
        ("subscription over POST", document('subscription { jobPhase(id: "x") { phase } }')),
    ]  # fmt: skip


def refusal(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or [{}]
        code = (errors[0].get("extensions") or {}).get("code", "-")
    except ValueError:
        code = "(not JSON)"
    return f"{response.status_code} {code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    serve_and_run(parser.parse_args().repeat)


def serve_and_run(repeat: int) -> None:
    """Start a gateway over the test catalogue and run every class against it."""
    with tempfile.TemporaryDirectory() as data:
        env = {
            "ESAP_DATA_DIR": data,
            "ESAP_SESAME_URLS": "http://127.0.0.1:9/sesame",
            "ESAP_LOG_LEVEL": "CRITICAL",
        }
        with gateway_process(config=CATALOGUE, env=env) as (url, pid):
            run(url, Memory(pid), repeat)


def run(url: str, memory: Memory, repeat: int) -> None:
    """Every class against the gateway at ``url``; one line each."""
    http = httpx.Client(base_url=url, timeout=120)
    http.post("/graphql", json={"query": "{ archives { id } }"})  # warm up
    print(f"{'class':42} {'answer':34} {'p50 ms':>8} {'max ms':>8}  RSS before/peak/after MiB")
    headers = {"content-type": "application/json"}
    for name, make in cases():
        memory.reset_peak()
        before = memory.rss()
        times = []
        answer = ""
        for n in range(repeat):
            body = make(n)
            start = time.perf_counter()
            response = http.post("/graphql", content=body, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
            answer = refusal(response)
        print(
            f"{name:42} {answer:34} {statistics.median(times):8.1f} {max(times):8.1f}"
            f"  {before / MIB:.0f} / {memory.peak() / MIB:.0f} / {memory.rss() / MIB:.0f}"
        )
    # the document cache is bounded in bytes: 3,000 distinct 20 KB documents
    memory.reset_peak()
    before = memory.rss()
    start = time.perf_counter()
    for i in range(3000):
        http.post("/graphql", json={"query": "{ archives { id } } " + f"# {i} " + "x" * 20_000})
    each = (time.perf_counter() - start) * 1000 / 3000
    print(
        f"{'3,000 distinct 20 KB documents (cache)':42} {'200 (run, cached)':34} {each:8.1f}"
        f" {'':>8}  {before / MIB:.0f} / {memory.peak() / MIB:.0f} / {memory.rss() / MIB:.0f}"
    )


if __name__ == "__main__":
    main()
