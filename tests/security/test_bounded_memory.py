"""Archive answers cost bounded memory: a cap per answer on the decoded bytes (a gzip bomb is
stopped within one decompression step of it), one budget for every answer in flight, and
nothing held once an answer is read."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from esap_graphql.connectors.answer_budget import AnswerBudget, GatewayBusy
from esap_graphql.connectors.egress import EgressPolicy
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.domain.errors import MalformedResponse
from tests.security.hostile import ONE_ROW, HostileArchive, hostile_archive

MiB = 1024**2


@pytest.fixture(scope="module")
def archive() -> Iterator[HostileArchive]:
    with hostile_archive() as served:
        yield served


def clients(*, max_bytes: int, budget: AnswerBudget | None = None) -> ServiceClients:
    return ServiceClients(
        timeout=httpx.Timeout(30),
        per_service=4,
        policy=EgressPolicy(),
        budget=budget,
        max_answer_bytes=max_bytes,
    )


async def test_a_huge_answer_is_refused_at_the_cap(archive: HostileArchive) -> None:
    budget = AnswerBudget(64 * MiB)
    http = clients(max_bytes=4 * MiB, budget=budget)
    try:
        with pytest.raises(MalformedResponse, match=f"answer exceeds {4 * MiB} bytes"):
            await http.fetch(archive.url, "GET", f"{archive.url}/huge/sync", timeout=30)
        assert budget.used == 0  # whatever was read is given back
    finally:
        await http.aclose()


async def test_a_gzip_bomb_is_stopped_within_one_step_of_the_cap(archive: HostileArchive) -> None:
    archive.bomb()  # build the body before measuring
    http = clients(max_bytes=4 * MiB)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse, match="exceeds"):
            await http.fetch(archive.url, "GET", f"{archive.url}/bomb/sync", timeout=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await http.aclose()
    # the bomb decodes to 512 MiB; the gateway never held much more than the cap
    assert peak < 3 * 4 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.parametrize(("size", "complete"), [(1, 4), (3, 1)])
async def test_answers_in_flight_share_one_budget(
    archive: HostileArchive, size: int, complete: int
) -> None:
    """Four answers of ``size`` MiB at once against a 5 MiB budget: never more than 5 MiB held;
    answers that fit together all complete, and of larger ones at least ``complete`` does
    while the others fail with GatewayBusy, giving back what they held."""
    archive.huge_bytes = size * MiB
    budget = AnswerBudget(5 * MiB, wait=20)
    high = 0

    async def watch() -> None:
        nonlocal high
        while True:
            high = max(high, budget.used)
            await asyncio.sleep(0)

    async def one() -> int | GatewayBusy:
        url = f"{archive.url}/huge/sync"
        try:
            async with http.answer(archive.url, "GET", url, timeout=30) as body:
                await asyncio.sleep(0.2)  # parsing: the bytes stay held meanwhile
                return len(body)
        except GatewayBusy as busy:
            return busy

    http = clients(max_bytes=4 * MiB, budget=budget)
    watcher = asyncio.create_task(watch())
    try:
        outcomes = await asyncio.gather(one(), one(), one(), one())
    finally:
        watcher.cancel()
        await http.aclose()
        archive.huge_bytes = HostileArchive.huge_bytes
    read = [o for o in outcomes if isinstance(o, int)]
    assert len(read) >= complete
    assert all(length >= size * MiB for length in read)
    assert size * MiB <= high <= 5 * MiB
    assert budget.used == 0


async def test_a_budget_that_stays_used_up_is_a_typed_error(archive: HostileArchive) -> None:
    budget = AnswerBudget(1 * MiB, wait=0.5)
    someone = budget.ticket()
    await budget.take(someone, budget.limit, "held by someone else")
    http = clients(max_bytes=4 * MiB, budget=budget)
    try:
        with pytest.raises(GatewayBusy) as busy:
            await http.fetch(archive.url, "POST", f"{archive.url}/ok/sync", timeout=30)
        assert busy.value.code == "gateway_busy"
        await budget.give_back(someone)
        assert (
            await http.fetch(archive.url, "POST", f"{archive.url}/ok/sync", timeout=30) == ONE_ROW
        )
    finally:
        await http.aclose()
