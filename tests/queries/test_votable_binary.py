"""The fast BINARY reader gives exactly what the astropy path gives, or steps aside."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from astropy.io.votable import from_table
from astropy.table import MaskedColumn, Table
from pyvo.dal.query import DALResults
from pyvo.dal.scs import SCSResults
from pyvo.dal.sia2 import SIA2Results
from pyvo.dal.tap import TAPResults

from esap_graphql.connectors.votable import (
    check_results,
    parse_votable,
    table_to_records,
    votable_to_result,
)
from esap_graphql.connectors.votable_binary import decode_rows, split_binary_stream
from esap_graphql.domain.records import ResultSet

VOTABLES = Path(__file__).resolve().parents[1] / "data" / "votables"
URL = "http://archive.test/q"


def by_astropy(
    content: bytes, results_class: type[DALResults], limit: int, field_map: dict[str, str]
) -> ResultSet:
    table, columns, overflow = check_results(
        parse_votable(content, url=URL), url=URL, results_class=results_class
    )
    return ResultSet(
        records=table_to_records(table, field_map, limit=limit),
        native_query="q",
        columns=columns,
        overflow=overflow or len(table) > limit,
    )


def assert_same(
    content: bytes,
    results_class: type[DALResults] = DALResults,
    *,
    limit: int = 10_000,
    field_map: dict[str, str] | None = None,
) -> ResultSet:
    fast = votable_to_result(
        content,
        url=URL,
        native_query="q",
        field_map=field_map or {},
        limit=limit,
        results_class=results_class,
    )
    slow = by_astropy(content, results_class, limit, field_map or {})
    assert fast.columns == slow.columns
    assert fast.overflow == slow.overflow
    assert len(fast.records) == len(slow.records)
    for a, b in zip(fast.records, slow.records, strict=True):
        assert a == b  # every common field, and every native value (Mapping equality)
        assert list(a.fields) == list(b.fields)
        for name in a.fields:
            assert type(a.fields[name]) is type(b.fields[name]), name
    return fast


def uses_fast_path(content: bytes) -> bool:
    split = split_binary_stream(content)
    if split is None:
        return False
    table = parse_votable(split.metadata, url=URL).get_first_table()
    return decode_rows(split.rows, table.fields) is not None


@pytest.mark.parametrize(
    ("name", "results_class"),
    [
        ("tap-obscore.xml", TAPResults),
        ("tap-overflow.xml", TAPResults),
        ("tap-empty.xml", TAPResults),
        ("scs.xml", SCSResults),
        ("scs-overflow.xml", SCSResults),
        ("sia2.xml", SIA2Results),
    ],
)
def test_recorded_answers_read_the_same(name: str, results_class: type[DALResults]) -> None:
    content = (VOTABLES / name).read_bytes()
    assert uses_fast_path(content)
    assert_same(content, results_class)
    assert_same(content, results_class, limit=2)


def test_field_map_and_fallback_ids_are_the_same() -> None:
    content = (VOTABLES / "scs.xml").read_bytes()
    result = assert_same(content, SCSResults, field_map={"id": "name", "title": "no_such"})
    assert result.records[0].id == result.records[0].fields["name"]


def binary_votable(table: Table, *, fmt: str = "binary") -> bytes:
    votable = from_table(table)
    for field in votable.get_first_table().fields:
        if field.datatype in NULLS:  # masked integers need a NULL sentinel, as archives set
            field.values.null = NULLS[field.datatype]
    out = io.BytesIO()
    votable.to_xml(out, tabledata_format=fmt)
    return out.getvalue()


NULLS = {"short": -32768, "int": -2147483648, "long": -1}


def typed_table() -> Table:
    table = Table()
    table["i2"] = MaskedColumn(np.array([1, -7, 3], dtype=np.int16), mask=[False, True, False])
    table["i4"] = np.array([2**31 - 1, 0, -(2**31)], dtype=np.int32)
    table["i8"] = MaskedColumn(np.array([2**40, 5, 6], dtype=np.int64), mask=[False, False, True])
    table["u1"] = np.array([0, 128, 255], dtype=np.uint8)
    table["f4"] = np.array([1.5, np.nan, np.inf], dtype=np.float32)
    table["f8"] = np.array([-0.0, 1e-300, np.nan])
    table["fixed"] = np.array(["abc", "", "abcdefgh"], dtype="S8")
    table["ufixed"] = np.array(["Ω Cen", "", "é"], dtype="U5")
    table["var"] = np.array(["x", "a much longer text value", ""], dtype=object)
    table["uvar"] = np.array(["Ω", "", "Sgr A*"], dtype=object)
    return table


def test_every_supported_type_reads_the_same() -> None:
    content = binary_votable(typed_table())
    assert uses_fast_path(content)
    result = assert_same(content)
    first, second, third = (r.fields for r in result.records)
    assert second["i2"] is None  # masked -> NULL sentinel -> None
    assert third["i8"] is None
    assert second["f4"] is None  # NaN
    assert third["f4"] == float("inf")
    assert first["fixed"] == "abc"
    assert third["ufixed"] == "é"
    assert first["uvar"] == "Ω"
    assert second["var"] == "a much longer text value"


@pytest.mark.parametrize(
    "column",
    [
        np.array([True, False, True]),
        np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        np.array([1 + 2j, 3j, 0], dtype=np.complex128),
    ],
    ids=["boolean", "double-array", "complex"],
)
def test_other_types_are_left_to_astropy(column: np.ndarray) -> None:
    table = typed_table()
    table["other"] = column
    content = binary_votable(table)
    assert not uses_fast_path(content)
    assert_same(content)


def test_binary2_and_tabledata_are_left_to_astropy() -> None:
    for fmt in ("binary2", "tabledata"):
        content = binary_votable(typed_table(), fmt=fmt)
        assert split_binary_stream(content) is None
        assert_same(content)


def test_float_null_sentinels_are_left_to_astropy() -> None:
    content = binary_votable(typed_table()).replace(
        b'<FIELD ID="f8" datatype="double" name="f8"/>',
        b'<FIELD ID="f8" datatype="double" name="f8"><VALUES null="-0.0"/></FIELD>',
    )
    assert b'<VALUES null="-0.0"/>' in content
    assert not uses_fast_path(content)
    assert_same(content)


def test_a_cut_off_stream_is_refused() -> None:
    content = binary_votable(typed_table())
    split = split_binary_stream(content)
    assert split is not None
    fields = parse_votable(split.metadata, url=URL).get_first_table().fields
    assert decode_rows(split.rows, fields) is not None
    assert decode_rows(split.rows[:-3], fields) is None
    assert decode_rows(split.rows + b"\x00", fields) is None


def test_non_ascii_char_is_left_to_astropy() -> None:
    table = Table()
    table["c"] = np.array([b"ok", b"cafe"])
    content = binary_votable(table)
    split = split_binary_stream(content)
    assert split is not None
    fields = parse_votable(split.metadata, url=URL).get_first_table().fields
    assert decode_rows(split.rows, fields) == [["ok", "cafe"]]
    broken = split.rows.replace(b"cafe", b"caf\xe9")
    assert broken != split.rows
    assert decode_rows(broken, fields) is None


def test_documents_with_more_than_one_table_are_left_to_astropy() -> None:
    content = binary_votable(typed_table())
    doubled = content.replace(
        b"</RESOURCE>", b"<TABLE><FIELD name='x' datatype='int'/></TABLE></RESOURCE>"
    )
    assert doubled != content
    assert split_binary_stream(doubled) is None


def test_unicode_text_beyond_the_bmp_and_broken_surrogates() -> None:
    table = Table()
    table["u"] = np.array(["𝄞 clef", "Ω"], dtype=object)
    content = binary_votable(table)
    split = split_binary_stream(content)
    assert split is not None
    fields = parse_votable(split.metadata, url=URL).get_first_table().fields
    assert decode_rows(split.rows, fields) == [["𝄞 clef", "Ω"]]
    assert_same(content)
    # a high surrogate with nothing after it is no text: astropy is left to judge it
    lone = split.rows.replace("Ω".encode("utf_16_be"), b"\xd8\x34")
    assert lone != split.rows
    assert decode_rows(lone, fields) is None
