"""Hostile registry keywords never change the structure of the RegTAP ADQL (hypothesis)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esap_graphql.connectors.regtap import RegTapClient
from esap_graphql.domain.errors import InvalidParameter
from esap_graphql.domain.registry import MESSENGERS, ServiceType, registry_query
from tests.registry.conftest import RegTapReplay

_LITERAL = re.compile(r"'(?:[^']|'')*'")


@pytest.fixture(scope="module")
def client(regtap: RegTapReplay) -> Iterator[RegTapClient]:
    regtap_client = RegTapClient(url=regtap.url, timeout=10)
    asyncio.run(asyncio.to_thread(regtap_client.adql, registry_query("warm", None, None)))
    yield regtap_client
    regtap_client.close()


def _skeleton(adql: str) -> tuple[str, list[str]]:
    """The ADQL with every string literal replaced by ?, and the literals' values."""
    values = [m.group()[1:-1].replace("''", "'") for m in _LITERAL.finditer(adql)]
    return _LITERAL.sub("?", adql), values


hostile = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=60
) | st.sampled_from(
    [
        "' OR 1=1 --",
        "x') UNION SELECT * FROM tap_schema.tables --",
        "a'';DROP TABLE rr.resource",
        "%' ESCAPE '\\",
        "/* */ ivoid",
        'Ω Cen\' "quoted"',
        "\\'; --",
    ]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    word=hostile,
    kind=st.none() | st.sampled_from(list(ServiceType)),
    band=st.none() | st.sampled_from(MESSENGERS),
)
def test_hostile_keywords_are_only_ever_literals(
    client: RegTapClient, word: str, kind: ServiceType | None, band: str | None
) -> None:
    try:
        query = registry_query(word, kind, band)
    except InvalidParameter:
        return  # refused before any ADQL exists (too long, too many words)
    placeholders = registry_query(" ".join(f"w{i}" for i in range(len(query.keywords))), kind, band)
    hostile_adql = client.adql(query)
    safe_adql = client.adql(placeholders)
    skeleton, values = _skeleton(hostile_adql)
    safe_skeleton, safe_values = _skeleton(safe_adql)
    assert skeleton == safe_skeleton
    # every literal that held a placeholder word holds the hostile word, unchanged
    for safe, value in zip(safe_values, values, strict=True):
        for i, keyword in enumerate(query.keywords):
            safe = safe.replace(f"w{i}", keyword) if safe in (f"w{i}", f"%w{i}%") else safe
        assert value == safe


@pytest.mark.parametrize(
    "bad", ["a\x00b", "line\nbreak", "x" * 201, " ".join(f"w{i}" for i in range(9))]
)
def test_control_characters_and_oversized_keywords_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        registry_query(bad, None, None)
