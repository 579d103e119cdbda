"""The result cache: TTL, LRU bound, shared flights, failures never stored."""

from __future__ import annotations

import asyncio

import pytest

from esap_graphql.services.result_cache import ResultCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counter:
    """A compute function that counts its calls and can wait for a go."""

    def __init__(self, value: str = "v") -> None:
        self.calls = 0
        self.value = value
        self.go = asyncio.Event()
        self.go.set()

    async def __call__(self) -> str:
        self.calls += 1
        await self.go.wait()
        return f"{self.value}{self.calls}"


async def test_second_call_within_ttl_is_a_hit() -> None:
    clock = Clock()
    cache: ResultCache[str] = ResultCache(ttl=10, size=10, clock=clock)
    compute = Counter()
    assert await cache.get_or_compute("k", compute) == ("v1", False)
    clock.now += 9.9
    assert await cache.get_or_compute("k", compute) == ("v1", True)
    assert compute.calls == 1
    assert len(cache) == 1


async def test_expired_entry_is_computed_again() -> None:
    clock = Clock()
    cache: ResultCache[str] = ResultCache(ttl=10, size=10, clock=clock)
    compute = Counter()
    await cache.get_or_compute("k", compute)
    clock.now += 10.0
    assert await cache.get_or_compute("k", compute) == ("v2", False)
    assert compute.calls == 2


async def test_least_recently_used_is_evicted() -> None:
    cache: ResultCache[str] = ResultCache(ttl=100, size=2, clock=Clock())
    a, b, c = Counter("a"), Counter("b"), Counter("c")
    await cache.get_or_compute("a", a)
    await cache.get_or_compute("b", b)
    await cache.get_or_compute("a", a)  # a is now the most recently used
    await cache.get_or_compute("c", c)
    assert len(cache) == 2
    assert (await cache.get_or_compute("a", a))[1] is True
    assert (await cache.get_or_compute("b", b))[1] is False
    assert (a.calls, b.calls, c.calls) == (1, 2, 1)


@pytest.mark.parametrize(("ttl", "size"), [(0, 10), (10, 0)])
async def test_disabled_cache_stores_nothing(ttl: float, size: int) -> None:
    cache: ResultCache[str] = ResultCache(ttl=ttl, size=size)
    compute = Counter()
    await cache.get_or_compute("k", compute)
    assert await cache.get_or_compute("k", compute) == ("v2", False)
    assert len(cache) == 0


async def test_concurrent_callers_share_one_flight() -> None:
    cache: ResultCache[str] = ResultCache(ttl=0, size=0)
    compute = Counter()
    compute.go.clear()
    tasks = [asyncio.create_task(cache.get_or_compute("k", compute)) for _ in range(5)]
    await asyncio.sleep(0.01)
    compute.go.set()
    results = await asyncio.gather(*tasks)
    assert compute.calls == 1
    assert sorted(results) == [("v1", False)] + [("v1", True)] * 4


async def test_failures_reach_sharers_and_are_not_stored() -> None:
    cache: ResultCache[str] = ResultCache(ttl=100, size=10)
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def fail() -> str:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        raise ValueError("archive down")

    owner = asyncio.create_task(cache.get_or_compute("k", fail))
    await started.wait()
    sharer = asyncio.create_task(cache.get_or_compute("k", fail))
    await asyncio.sleep(0.01)
    release.set()
    for task in (owner, sharer):
        with pytest.raises(ValueError, match="archive down"):
            await task
    assert calls == 1
    assert len(cache) == 0
    assert await cache.get_or_compute("k", Counter()) == ("v1", False)


async def test_a_cancelled_owner_does_not_cancel_its_sharers() -> None:
    cache: ResultCache[str] = ResultCache(ttl=100, size=10)
    compute = Counter()
    compute.go.clear()
    owner = asyncio.create_task(cache.get_or_compute("k", compute))
    await asyncio.sleep(0.01)
    sharer = asyncio.create_task(cache.get_or_compute("k", compute))
    await asyncio.sleep(0.01)
    owner.cancel()  # e.g. the owner's client went away
    await asyncio.sleep(0.01)
    compute.go.set()
    with pytest.raises(asyncio.CancelledError):
        await owner
    assert await sharer == ("v2", False)
    assert compute.calls == 2


async def test_a_cancelled_sharer_does_not_cancel_the_owner() -> None:
    cache: ResultCache[str] = ResultCache(ttl=100, size=10)
    compute = Counter()
    compute.go.clear()
    owner = asyncio.create_task(cache.get_or_compute("k", compute))
    await asyncio.sleep(0.01)
    sharer = asyncio.create_task(cache.get_or_compute("k", compute))
    await asyncio.sleep(0.01)
    sharer.cancel()
    await asyncio.sleep(0.01)
    compute.go.set()
    assert await owner == ("v1", False)
    with pytest.raises(asyncio.CancelledError):
        await sharer
    assert compute.calls == 1


async def test_clear_forgets_everything() -> None:
    cache: ResultCache[str] = ResultCache(ttl=100, size=10)
    compute = Counter()
    await cache.get_or_compute("k", compute)
    cache.clear()
    assert len(cache) == 0
    assert await cache.get_or_compute("k", compute) == ("v2", False)
