"""The fast TABLEDATA reader gives exactly what the astropy path gives, or steps aside."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyvo.dal.query import DALResults
from pyvo.dal.scs import SCSResults
from pyvo.dal.tap import TAPResults

from esap_graphql.connectors.votable import parse_votable
from esap_graphql.connectors.votable_header import HEADERS, JUDGEMENTS
from esap_graphql.connectors.votable_tabledata import decode_tabledata, split_tabledata
from esap_graphql.domain.errors import EsapError
from tests.queries.test_votable_binary import (
    URL,
    assert_same,
    binary_votable,
    by_astropy,
    typed_table,
)

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
        (b"<TD>1</TD>", b"<TD>2147483648</TD>"),  # beyond the datatype: astropy clamps it
        (b"<TD>x</TD>", b"<TD>x]]>y</TD>"),  # XML refuses it in text
        (b"<TD>x</TD>", "<TD>x\uffff</TD>".encode()),  # no XML character
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


# ---- generated answers: every fast path checked against astropy --------------------------

_INTEGER_RANGES = {
    "unsignedByte": (0, 255),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_PADDING = st.sampled_from(["", " ", "\t", "\n", "  \n "])


def _padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(_PADDING, values, _PADDING).map("".join)


def _integer_cells(datatype: str) -> st.SearchStrategy[str]:
    low, high = _INTEGER_RANGES[datatype]
    return st.one_of(
        _padded(st.integers(low, high).map(str)),
        st.integers(low - 1000, high + 1000).map(str),  # out of range: astropy clamps
        st.sampled_from(["", " ", "nan", "NaN", "0x1f", "1_0", "+5", "٣", "1.0", "one"]),
        st.text(alphabet="0123456789-+ _xe.", max_size=6),
    )


_FLOAT_CELLS = st.one_of(
    _padded(st.floats(allow_nan=True, allow_infinity=True).map(repr)),
    st.floats(width=32).map(repr),
    st.sampled_from(
        ["", " ", "NaN", "nan", "-inf", "+InF", "1e39", "-1e39", "1e-50", "1_0.5", "0x1p3"]
    ),
    st.text(alphabet="0123456789-+ _eE.naif", max_size=8),
)
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from([*"ab <>&\"' \t\n]#;x", "\ufffe", "\uffff", "\U0010ffff"]),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=12,
)


def _escaped(text: str) -> st.SearchStrategy[str]:
    """``text`` in a cell, each character written as itself (when XML lets it), by name or
    by character reference."""
    named = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;"}

    def one(char: str) -> st.SearchStrategy[str]:
        forms = [f"&#{ord(char)};", f"&#x{ord(char):X};"]
        if char in named:
            forms.append(named[char])
        if char not in "<&":
            forms.append(char)
        return st.sampled_from(forms)

    return st.tuples(*(one(c) for c in text)).map("".join)


_TEXT_CELLS = st.one_of(
    _TEXT.flatmap(_escaped),
    st.text(alphabet="ab &;#x0123ltgmpquos\x80\r\x01]>", max_size=10),  # raw, often broken
    st.sampled_from(["]]>", "a]]>b", "x\r\ny", "&nbsp;", "&#0;", "&#xD800;"]),
)
_DATATYPES = ["unsignedByte", "short", "int", "long", "float", "double", "char", "unicodeChar"]


@st.composite
def generated_answer(draw: st.DrawFn) -> bytes:
    """A TAP-like answer with TABLEDATA written by hand, in one of the layouts writers use."""
    datatypes = draw(st.lists(st.sampled_from(_DATATYPES), min_size=1, max_size=5))
    fields = []
    cells: list[st.SearchStrategy[str]] = []
    for index, datatype in enumerate(datatypes):
        if datatype in _INTEGER_RANGES:
            null = draw(st.one_of(st.none(), st.integers(*_INTEGER_RANGES[datatype])))
            values = "" if null is None else f'<VALUES null="{null}"/>'
            fields.append(f'<FIELD name="c{index}" datatype="{datatype}">{values}</FIELD>')
            integers = _integer_cells(datatype)
            cells.append(integers if null is None else integers | st.just(str(null)))
        elif datatype in ("float", "double"):
            fields.append(f'<FIELD name="c{index}" datatype="{datatype}"/>')
            cells.append(_FLOAT_CELLS)
        else:
            size = draw(st.sampled_from(["*", "16*"]))
            fields.append(f'<FIELD name="c{index}" datatype="{datatype}" arraysize="{size}"/>')
            cells.append(_TEXT_CELLS)
    rows = draw(st.lists(st.tuples(*cells), max_size=4))
    between = draw(st.sampled_from(["", "\n", " \n  "]))  # DaCHS writes none, astropy some
    empty = draw(st.sampled_from(["<TD></TD>", "<TD/>"]))
    section = between.join(
        "<TR>" + between + between.join(f"<TD>{c}</TD>" if c else empty for c in row) + between
        + "</TR>"
        for row in rows
    )  # fmt: skip
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n'
        '<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE>'
        + "".join(fields)
        + f"<DATA><TABLEDATA>{between}{section}{between}</TABLEDATA></DATA></TABLE>"
        "</RESOURCE></VOTABLE>"
    ).encode()


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=generated_answer())
def test_generated_answers_read_as_astropy_reads_them(content: bytes) -> None:
    try:
        by_astropy(content, TAPResults, 10_000, {})
    except EsapError:
        assert decoded(content) is None  # astropy refuses it: so must the fast reader
        return
    assert_same(content, TAPResults)


_XML_TEXT = st.text(  # characters astropy writes and XML reads
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Cn"])
    | st.sampled_from(list("<>&\"' \t\n")),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.tuples(st.integers(-(2**31), 2**31 - 1), _XML_TEXT, st.floats()), min_size=1, max_size=6
    )
)
def test_plain_answers_take_the_fast_path(values: list[tuple[int, str, float]]) -> None:
    table = Table(rows=values, names=("n", "t", "f"), dtype=(np.int32, object, np.float64))
    content = tabledata(table)
    compact = re.sub(rb">\s+<", b"><", content)  # DaCHS's layout, no whitespace between tags
    for answer in (content, compact):
        assert decoded(answer) is not None
        assert_same(answer, TAPResults)


def test_a_second_data_section_inside_the_first_is_refused() -> None:
    content = tabledata(scalar_table())
    rows = b"<TR>" + content.split(b"<TR>", 1)[1].split(b"</TABLEDATA>")[0]
    nested = content.replace(
        b"</TABLEDATA>",
        b"</TABLEDATA></DATA></TABLE><TABLE><DATA><TABLEDATA>" + rows + b"</TABLEDATA>",
    )
    assert nested != content
    split = split_tabledata(nested)
    assert split is not None
    assert b"<TABLE>" in split.rows  # the section was found from the end: the reader judges
    fields = parse_votable(content, url=URL).get_first_table().fields
    assert decode_tabledata(split.rows, fields) is None  # refuses what is not rows
    assert_same(nested)
