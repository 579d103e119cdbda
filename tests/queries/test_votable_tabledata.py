"""The fast TABLEDATA reader gives exactly what the astropy path gives, or steps aside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from pyvo.dal.query import DALResults
from pyvo.dal.scs import SCSResults
from pyvo.dal.tap import TAPResults

from esap_graphql.connectors.votable import parse_votable
from esap_graphql.connectors.votable_header import HEADERS, JUDGEMENTS
from esap_graphql.connectors.votable_tabledata import decode_tabledata, split_tabledata
from tests.queries.test_votable_binary import URL, assert_same, binary_votable, typed_table

VOTABLES = Path(__file__).resolve().parents[1] / "data" / "votables"


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    HEADERS.clear()
    JUDGEMENTS.clear()
    yield
    HEADERS.clear()
    JUDGEMENTS.clear()


def decoded(content: bytes) -> list[list[object]] | None:
    split = split_tabledata(content)
    if split is None:
        return None
    table = parse_votable(split.metadata, url=URL).get_first_table()
    return decode_tabledata(split.rows, table.fields)


def tabledata(table: Table) -> bytes:
    return binary_votable(table, fmt="tabledata")


@pytest.mark.parametrize(
    ("name", "results_class"),
    [
        ("tap-obscore-tabledata.xml", TAPResults),
        ("tap-overflow-tabledata.xml", TAPResults),
        ("scs-tabledata.xml", SCSResults),
    ],
)
def test_recorded_answers_read_the_same(name: str, results_class: type[DALResults]) -> None:
    content = (VOTABLES / name).read_bytes()
    assert decoded(content) is not None
    for _ in range(2):  # the second time from the cached columns and judgement
        assert_same(content, results_class)
        assert_same(content, results_class, limit=2)
    assert HEADERS.hits > 0


def scalar_table() -> Table:
    table = typed_table()
    # fixed-width text is left to astropy (it pads and cuts): keep the variable-width ones
    del table["fixed"], table["ufixed"]
    return table


def test_every_supported_type_reads_the_same() -> None:
    content = tabledata(scalar_table())
    assert b"<TABLEDATA>" in content
    assert decoded(content) is not None
    result = assert_same(content)
    first, second, third = (r.fields for r in result.records)
    assert second["i2"] is None  # masked -> NULL sentinel -> None
    assert third["i8"] is None
    assert second["f4"] is None  # NaN
    assert third["f4"] == float("inf")
    assert first["uvar"] == "Ω"
    assert second["var"] == "a much longer text value"


def test_single_precision_is_kept_as_astropy_keeps_it() -> None:
    table = Table()
    table["f4"] = np.array([0.1, 1 / 3, 3.4e38], dtype=np.float32)
    content = tabledata(table)
    values = decoded(content)
    assert values is not None
    assert values[0][0] == float(np.float32(0.1)) != 0.1
    assert_same(content)


def test_markup_and_entities_in_cells() -> None:
    table = Table()
    table["t"] = np.array(["a < b & c", "\"quoted\" 'too'", "  spaced  ", ""], dtype=object)
    table["n"] = MaskedColumn(np.array([1, 2, 3, 4], dtype=np.int32), mask=[0, 0, 1, 0])
    content = tabledata(table)
    assert b"&lt;" in content
    assert decoded(content) is not None
    assert_same(content)
    # character references and empty-element cells, as other writers send them
    other = content.replace(b"<TD>a &lt; b &amp; c</TD>", b"<TD>&#937;&#x3a9;</TD>").replace(
        b"<TD></TD>", b"<TD/>"
    )
    assert other != content
    values = decoded(other)
    assert values is not None
    assert values[0][0] == "ΩΩ"
    assert_same(other)
    # HTML would read this as a euro sign; XML (and so astropy) as U+0080
    control = content.replace(b"<TD>a &lt; b &amp; c</TD>", b"<TD>&#x80;</TD>")
    values = decoded(control)
    assert values is not None
    assert values[0][0] == "\x80"
    assert_same(control)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<TD>1</TD>", b'<TD encoding="x">1</TD>'),  # attributes on a cell
        (b"<TR>", b'<TR ID="r1">'),  # attributes on a row
        (b"<TD>1</TD>", b"<TD><![CDATA[1]]></TD>"),  # CDATA
        (b"<TD>1</TD>", b"<TD>1</TD><!-- a comment -->"),
        (b"<TD>1</TD>", b"<TD>1</TD><TD>9</TD>"),  # a row one cell too long
        (b"<TD>1</TD>", b""),  # and one too short
        (b"<TD>1</TD>", b"<TD>1_000</TD>"),  # Python's number syntax, not XML Schema's
        (b"<TD>1</TD>", b"<TD>one</TD>"),
        (b"<TD>x</TD>", b"<TD>&nbsp;x</TD>"),  # an entity XML does not define
        (b"<TD>x</TD>", b"<TD>x\r\ny</TD>"),  # line ends the XML parser rewrites
        (b"<TD>x</TD>", b"<TD>x&#0;</TD>"),  # no XML character
        (b"<TD>x</TD>", b"<TD>x\x01</TD>"),  # nor this
        (b"<TD>x</TD>", b"<TD>&amp;x & y</TD>"),  # a bare ampersand
        (b"<TR>", b"<TR >"),  # space inside a tag (valid XML, left to the parser)
        (b"<TD>1</TD>", b"<TD>1</TD >"),
        (b"<TD>1</TD>", b"<TD>1</TD>x"),  # text between cells
        (b"<TR>", b"x<TR>"),  # and between rows
    ],
)
def test_other_markup_is_left_to_astropy(old: bytes, new: bytes) -> None:
    table = Table()
    table["n"] = np.array([1, 2], dtype=np.int32)
    table["s"] = np.array(["x", "y"], dtype=object)
    content = tabledata(table)
    assert old in content
    changed = content.replace(old, new, 1)
    assert decoded(changed) is None


@pytest.mark.parametrize(
    "column",
    [
        np.array([True, False, True]),
        np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        np.array(["abc", "", "abcdefgh"], dtype="S8"),
    ],
    ids=["boolean", "double-array", "fixed-char"],
)
def test_other_types_are_left_to_astropy(column: np.ndarray) -> None:
    table = scalar_table()
    table["other"] = column
    content = tabledata(table)
    assert decoded(content) is None
    assert_same(content)


def test_binary_and_several_tables_are_not_tabledata() -> None:
    assert split_tabledata(binary_votable(scalar_table())) is None
    content = tabledata(scalar_table())
    doubled = content.replace(
        b"</RESOURCE>", b"<TABLE><FIELD name='x' datatype='int'/></TABLE></RESOURCE>"
    )
    assert doubled != content
    assert split_tabledata(doubled) is None
