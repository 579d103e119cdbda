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
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tests" / "data" / "dachs-catalogue.yaml"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gateway(data_dir: Path) -> Iterator[tuple[str, int]]:
    """The gateway process; yields its base URL and pid."""
    port = free_port()
    env = {
        **os.environ,
        "ESAP_CONFIG": str(CATALOGUE),
        "ESAP_DATA_DIR": str(data_dir),
        "ESAP_SESAME_URLS": "http://127.0.0.1:9/sesame",
        "ESAP_LOG_LEVEL": "CRITICAL",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "esap_graphql", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def memory(pid: int) -> tuple[float, float]:
    """RSS and peak RSS (VmHWM) of ``pid``, MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, gateway(Path(data)) as (url, pid):
        http = httpx.Client(base_url=url, timeout=120)
        http.post("/graphql", json={"query": "{ archives { id } }"})  # warm up
        print(f"{'class':42} {'answer':34} {'p50 ms':>8} {'max ms':>8}  RSS before/peak/after MiB")
        headers = {"content-type": "application/json"}
        for name, make in cases():
            reset_peak(pid)
            before, _ = memory(pid)
            times = []
            answer = ""
            for n in range(args.repeat):
                body = make(n)
                start = time.perf_counter()
                response = http.post("/graphql", content=body, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                answer = refusal(response)
            after, peak = memory(pid)
            print(
                f"{name:42} {answer:34} {statistics.median(times):8.1f} {max(times):8.1f}"
                f"  {before:.0f} / {peak:.0f} / {after:.0f}"
            )
        # the document cache is bounded in bytes: 3,000 distinct 20 KB documents
        reset_peak(pid)
        before, _ = memory(pid)
        start = time.perf_counter()
        for i in range(3000):
            text = "{ archives { id } } " + f"# {i} " + "x" * 20_000
            http.post("/graphql", json={"query": text})
        elapsed = (time.perf_counter() - start) * 1000 / 3000
        after, peak = memory(pid)
        print(
            f"{'3,000 distinct 20 KB documents (cache)':42} {'200 (run, cached)':34} "
            f"{elapsed:8.1f} {'':>8}  {before:.0f} / {peak:.0f} / {after:.0f}"
        )


if __name__ == "__main__":
    main()
