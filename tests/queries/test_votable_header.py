"""Answers whose FIELD section was seen before read the same, with the status judged afresh."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pyvo.dal.tap import TAPResults

from esap_graphql.connectors.service_descriptor import find_descriptor
from esap_graphql.connectors.votable import votable_to_result
from esap_graphql.connectors.votable_binary import split_binary_stream
from esap_graphql.connectors.votable_header import (
    HEADERS,
    JUDGEMENTS,
    HeaderCache,
    ParsedHeader,
    judgement_key,
    table_header,
)
from esap_graphql.domain.errors import ArchiveFailure
from esap_graphql.domain.records import ResultSet

VOTABLES = Path(__file__).resolve().parents[1] / "data" / "votables"
URL = "http://archive.test/tap/sync"


def read(content: bytes) -> ResultSet:
    return votable_to_result(
        content, url=URL, native_query="q", field_map={}, limit=100, results_class=TAPResults
    )


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    HEADERS.clear()
    JUDGEMENTS.clear()
    yield
    HEADERS.clear()
    JUDGEMENTS.clear()


def metadata(name: str) -> bytes:
    split = split_binary_stream((VOTABLES / name).read_bytes())
    assert split is not None
    return split.metadata


def test_answers_of_one_table_share_a_key_whatever_the_table_is_named() -> None:
    first, second = table_header(metadata("tap-obscore.xml")), table_header(metadata("scs.xml"))
    assert first is not None
    assert second is not None
    assert first.key != second.key
    renamed = metadata("tap-obscore.xml").replace(b'<TABLE name="ObsCore"', b'<TABLE name="q42"', 1)
    assert renamed != metadata("tap-obscore.xml")
    header = table_header(renamed)
    assert header is not None
    assert header.key == first.key
    assert b'<FIELD name="esap_stand_in"' in header.stand_in
    assert header.stand_in.count(b"<FIELD") == 1


def test_sections_that_could_carry_a_status_are_not_cached() -> None:
    with_info = metadata("tap-obscore.xml").replace(
        b"<FIELD", b'<INFO name="QUERY_STATUS" value="OVERFLOW"/><FIELD', 1
    )
    assert table_header(with_info) is None
    doubled = metadata("tap-obscore.xml").replace(b"</RESOURCE>", b"<TABLE/></RESOURCE>", 1)
    assert table_header(doubled) is None
    assert table_header(b"<VOTABLE><RESOURCE/></VOTABLE>") is None


def test_a_second_answer_reads_the_same_from_the_cached_columns() -> None:
    content = (VOTABLES / "tap-obscore.xml").read_bytes()
    cold = read(content)
    assert (HEADERS.hits, HEADERS.misses, len(HEADERS)) == (0, 1, 1)
    warm = read(content)
    assert (HEADERS.hits, HEADERS.misses) == (1, 1)
    assert warm == cold
    assert len(warm.records) == 7
    assert [list(r.fields.items()) for r in warm.records] == [
        list(r.fields.items()) for r in cold.records
    ]


def test_status_is_still_judged_on_a_cache_hit() -> None:
    read((VOTABLES / "tap-obscore.xml").read_bytes())
    overflow = read((VOTABLES / "tap-overflow.xml").read_bytes())
    assert HEADERS.hits == 1
    assert overflow.overflow is True
    assert len(overflow.records) == 3
    empty = read((VOTABLES / "tap-empty.xml").read_bytes())
    assert (HEADERS.hits, empty.records, empty.overflow) == (2, (), False)
    failed = (
        (VOTABLES / "tap-overflow.xml")
        .read_bytes()
        .replace(
            b'name="QUERY_STATUS" value="OVERFLOW">',
            b'name="QUERY_STATUS" value="ERROR">table gone',
        )
    )
    assert b"table gone" in failed
    with pytest.raises(ArchiveFailure, match="table gone"):
        read(failed)


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = HeaderCache(size=2)
    entry = ParsedHeader(fields=(), columns=())
    cache.put(b"a", entry)
    cache.put(b"b", entry)
    assert cache.get(b"a") is entry  # a is now the most recent
    cache.put(b"c", entry)
    assert cache.get(b"b") is None
    assert cache.get(b"a") is entry
    assert cache.get(b"c") is entry
    assert len(cache) == 2


CONE = b"CIRCLE('ICRS', 200.0, 50.0, 0.5)"


def test_answers_to_other_queries_share_a_judgement() -> None:
    content = (VOTABLES / "tap-obscore.xml").read_bytes()
    other = content.replace(CONE, b"CIRCLE('ICRS', 200.0, 50.0, 0.25)").replace(
        b"s_dec, 0.5)", b"s_dec, 0.25)"
    )
    assert other.count(b"0.25") == 2  # the query and the SQL it became, both echoed in INFOs
    first, second = (table_header(split_binary_stream(c).metadata) for c in (content, other))  # type: ignore[union-attr]
    assert first is not None
    assert second is not None
    assert first.stand_in != second.stand_in
    assert judgement_key(first) == judgement_key(second)
    assert b'name="QUERY_STATUS" value="OK"' in judgement_key(first)
    read(content)
    read(content)  # the judgement is kept only once its columns are known
    assert len(JUDGEMENTS) == 1
    assert read(other) == read(content)
    assert len(JUDGEMENTS) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'name="QUERY_STATUS" value="OK"', b'name="QUERY_STATUS" value="ERROR"'),
        (b'name="QUERY_STATUS" value="OK"', b'name="query_status" value="OK"'),
        (b'<INFO name="server"', b'<INFO name="Error"'),  # what SCS reads
        (b'value="http://localhost:8080"', b'value="http://localhost:8080/?a&amp;b"'),
        (b'<INFO name="server"', b'<INFO name="server" name="x"'),
        (b"<COOSYS", b"<INFO name='x' value='y'/><COOSYS"),
    ],
)
def test_what_pyvo_reads_or_plain_markup_does_not_show_keeps_its_place_in_the_key(
    old: bytes, new: bytes
) -> None:
    header = table_header(metadata("tap-obscore.xml"))
    assert header is not None
    assert old in header.stand_in
    changed = replace(header, stand_in=header.stand_in.replace(old, new, 1))
    assert judgement_key(changed) != judgement_key(header)


def test_a_failed_answer_is_judged_even_when_its_query_was_judged_before() -> None:
    content = (VOTABLES / "tap-obscore.xml").read_bytes()
    read(content)
    read(content)
    assert len(JUDGEMENTS) == 1
    failed = content.replace(
        b'name="QUERY_STATUS" value="OK">', b'name="QUERY_STATUS" value="ERROR">table gone'
    )
    assert failed != content
    with pytest.raises(ArchiveFailure, match="table gone"):
        read(failed)
    assert len(JUDGEMENTS) == 1


def test_the_datalink_service_is_the_same_from_a_kept_judgement() -> None:
    content = (VOTABLES / "dachs-obscore-with-datalink.vot").read_bytes()
    expected = find_descriptor(content)
    assert expected is not None
    for _ in range(3):
        result = read(content)
        assert {r.datalink for r in result.records} == {expected}
    assert HEADERS.hits == 2
    assert len(JUDGEMENTS) == 1


def test_answers_whose_tables_are_named_anew_each_time_share_a_judgement() -> None:
    # DaCHS names the results table at random in every answer (here name="ndtopembnlea")
    content = (VOTABLES / "scs.xml").read_bytes()
    renamed = content.replace(b'<TABLE name="ndtopembnlea"', b'<TABLE name="ndololuhpwea"', 1)
    assert renamed != content
    first, second = (table_header(split_binary_stream(c).metadata) for c in (content, renamed))  # type: ignore[union-attr]
    assert first is not None
    assert second is not None
    assert first.stand_in != second.stand_in
    assert judgement_key(first) == judgement_key(second)
    read(content)
    read(content)  # the judgement is kept once the columns are known
    assert len(JUDGEMENTS) == 1
    assert read(renamed) == read(content)
    assert len(JUDGEMENTS) == 1
