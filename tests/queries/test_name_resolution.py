"""The name cache: found and not-found answers kept for their own times, failures never."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from esap_graphql.domain.errors import ArchiveUnreachable, InvalidParameter
from esap_graphql.domain.names import NameNotResolved, ResolvedName
from esap_graphql.services.name_resolution import InMemoryNameSource, NameResolutionService


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FlakySource:
    """Fails the first ``failures`` lookups, then knows M 31; can wait before answering."""

    failures: int = 0
    delay: float = 0.0
    lookups: list[str] = field(default_factory=list)

    async def lookup(self, name: str) -> ResolvedName | None:
        self.lookups.append(name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if len(self.lookups) <= self.failures:
            raise ArchiveUnreachable("https://sesame.test", "connection refused")
        if name == "M 31":
            return ResolvedName(name=name, ra=10.68, dec=41.27, resolver="Simbad")
        return None


def service(source: object, clock: Clock, *, size: int = 100) -> NameResolutionService:
    return NameResolutionService(
        source=source,  # type: ignore[arg-type]
        ttl=3600,
        not_found_ttl=60,
        size=size,
        clock=clock,
    )


async def test_a_found_name_is_kept_for_its_ttl() -> None:
    clock = Clock()
    source = InMemoryNameSource({"M 31": (10.68, 41.27)})
    names = service(source, clock)
    first = await names.lookup("M 31")
    assert not first.from_cache
    assert first.resolved is not None
    assert first.resolved.ra == 10.68
    again = await names.lookup("  M   31 ")  # the same name, spaced differently
    assert again.from_cache
    assert again.resolved == first.resolved
    assert source.lookups == 1
    clock.now += 3599
    assert (await names.lookup("M 31")).from_cache
    clock.now += 2
    assert not (await names.lookup("M 31")).from_cache
    assert source.lookups == 2


async def test_not_found_is_kept_for_its_own_shorter_ttl() -> None:
    clock = Clock()
    source = InMemoryNameSource({})
    names = service(source, clock)
    with pytest.raises(NameNotResolved) as caught:
        await names.resolve("Nowhere 9")
    assert caught.value.name == "Nowhere 9"
    assert caught.value.code == "name_not_resolved"
    assert (await names.lookup("Nowhere 9")).from_cache
    assert source.lookups == 1
    clock.now += 61
    found = await names.lookup("Nowhere 9")
    assert not found.from_cache
    assert found.resolved is None
    assert source.lookups == 2


async def test_failures_are_never_kept() -> None:
    source = FlakySource(failures=1)
    names = service(source, Clock())
    with pytest.raises(ArchiveUnreachable):
        await names.resolve("M 31")
    resolved = await names.resolve("M 31")
    assert resolved.resolver == "Simbad"
    assert source.lookups == ["M 31", "M 31"]


async def test_simultaneous_callers_share_one_lookup() -> None:
    source = FlakySource(delay=0.05)
    names = service(source, Clock())
    answers = await asyncio.gather(*(names.lookup("M 31") for _ in range(20)))
    assert source.lookups == ["M 31"]
    assert sum(not a.from_cache for a in answers) == 1
    assert {a.resolved for a in answers} == {answers[0].resolved}


async def test_the_cache_is_bounded() -> None:
    source = InMemoryNameSource({"a": (1.0, 1.0), "b": (2.0, 2.0), "c": (3.0, 3.0)})
    names = service(source, Clock(), size=2)
    for name in ("a", "b", "c"):
        await names.lookup(name)
    assert (await names.lookup("c")).from_cache
    assert not (await names.lookup("a")).from_cache  # the oldest went first


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 257, "longer than 256"),
        ("M\x0031", "control"),
    ],
)
async def test_unusable_names_are_refused_before_any_lookup(name: str, problem: str) -> None:
    source = InMemoryNameSource({})
    with pytest.raises(InvalidParameter) as caught:
        await service(source, Clock()).lookup(name)
    assert problem in caught.value.message
    assert caught.value.parameter == "name"
    assert source.lookups == 0
