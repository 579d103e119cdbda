"""ADQL is built safely: a user value either is refused or becomes one literal, never query text.

The property tests scan the produced ADQL for string literals (ADQL's only
escape is a doubled quote), replace each by a placeholder and compare what
is left with the query built from a harmless value: the structure must be
identical, and the literal must read back as exactly the value given.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from esap_graphql.connectors import adql
from esap_graphql.connectors.tap import build_adql
from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.errors import InvalidParameter, UnsupportedParameter
from esap_graphql.domain.query import QueryParams

OBSCORE = Dataset(
    id="obscore",
    archive_id="a",
    name="ObsCore",
    protocol=Protocol.TAP,
    access_url="http://tap.test/tap",
    table="ivoa.obscore",
)
FIXED = Dataset(
    id="fixed",
    archive_id="a",
    name="Fixed collection",
    protocol=Protocol.TAP,
    access_url="http://tap.test/tap",
    table="ivoa.obscore",
    collection="esaptest-images",
)
SOURCES = Dataset(
    id="sources",
    archive_id="a",
    name="Sources",
    protocol=Protocol.TAP,
    access_url="http://tap.test/tap",
    table="esaptest.sources",
    field_map={"id": "id", "title": "name", "ra": "ra", "dec": "dec"},
)

HOSTILE_PIECES = [
    "'",
    "''",
    "'''",
    '"',
    "--",
    "-- comment",
    "/*",
    "*/",
    "/* x */",
    ";",
    "; DROP TABLE ivoa.obscore",
    " UNION SELECT * FROM tap_schema.tables",
    "x' OR '1'='1",
    "' OR 1=1 --",
    "\\",
    "\\'",
    "%",
    "_",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x7f",
    "\u0085",
    "\u2028",
    "\u202e",
    "Ω Cen",
    "Sgr A*",
    'O\'Brien "quoted" <field> & co',
    "\u02bc",  # modifier letter apostrophe
    "\uff07",  # fullwidth apostrophe
    " ",
]

hostile_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=5), max_size=12).map("".join),
)


def scan(query: str) -> tuple[str, list[str]]:
    """The query with every string literal replaced by ``?``, and the literals' values."""
    skeleton: list[str] = []
    literals: list[str] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char != "'":
            skeleton.append(char)
            i += 1
            continue
        value: list[str] = []
        i += 1
        while True:
            if i >= len(query):
                raise AssertionError(f"unterminated literal in {query!r}")
            if query[i] == "'":
                if query[i + 1 : i + 2] == "'":
                    value.append("'")
                    i += 2
                    continue
                i += 1
                break
            value.append(query[i])
            i += 1
        skeleton.append("?")
        literals.append("".join(value))
    return "".join(skeleton), literals


def test_scan_reads_literals_back() -> None:
    assert scan("a = 'it''s' AND b = ''") == ("a = ? AND b = ?", ["it's", ""])


def check_one_literal(
    dataset: Dataset, params: QueryParams, value: str, harmless: QueryParams
) -> None:
    query = build_adql(dataset, params)
    skeleton, literals = scan(query)
    reference, reference_literals = scan(build_adql(dataset, harmless))
    assert skeleton == reference
    assert len(literals) == len(reference_literals)
    assert value in literals
    assert not any(ord(c) < 0x20 or c == "\x7f" for c in query)


def refused(func: Callable[[], object]) -> InvalidParameter | None:
    """The InvalidParameter ``func`` raises, or None when it succeeds."""
    try:
        func()
    except InvalidParameter as exc:
        return exc
    return None


def has_control(value: str) -> bool:
    return any(ord(c) < 0x20 or c == "\x7f" for c in value)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile_text)
@example(value="x' OR '1'='1")
@example(value="'; DROP TABLE ivoa.obscore; --")
@example(value="' UNION SELECT * FROM tap_schema.tables --")
@example(value="/* */'")
def test_target_is_refused_or_one_literal(value: str) -> None:
    harmless = QueryParams(target="harmless")
    error = refused(lambda: check_one_literal(OBSCORE, QueryParams(target=value), value, harmless))
    if error is not None:
        assert error.parameter == "target"
        assert has_control(value)
    else:
        assert not has_control(value)


@settings(max_examples=200)
@given(value=hostile_text)
def test_collection_and_product_type_are_refused_or_one_literal(value: str) -> None:
    for field in ("collection", "dataproduct_type"):
        params = QueryParams(**{field: value})  # type: ignore[arg-type]
        harmless = QueryParams(**{field: "image"})  # type: ignore[arg-type]
        error = refused(lambda: check_one_literal(OBSCORE, params, value, harmless))  # noqa: B023
        assert (error is not None) == has_control(value)


@settings(max_examples=300)
@given(value=hostile_text)
def test_validated_values_reach_the_query_unchanged_or_are_refused(value: str) -> None:
    """Through the service's own path: ``validate`` then ``build_adql``."""
    error = refused(lambda: QueryParams(target=value, ra=200.0, dec=50.0, radius=1.0).validated())
    if error is not None:
        assert error.parameter == "target"
        return
    params = QueryParams(target=value, ra=200.0, dec=50.0, radius=1.0).validated()
    harmless = QueryParams(target="harmless", ra=200.0, dec=50.0, radius=1.0).validated()
    if params.target is None:  # blank text means no filter
        assert unicodedata.normalize("NFC", value).strip() == ""
        assert build_adql(OBSCORE, params) == build_adql(
            OBSCORE, QueryParams(ra=200.0, dec=50.0, radius=1.0)
        )
        return
    check_one_literal(OBSCORE, params, params.target, harmless)


@settings(max_examples=200)
@given(value=hostile_text)
def test_fixed_collection_cannot_be_swapped_by_any_text(value: str) -> None:
    error = refused(lambda: build_adql(FIXED, QueryParams(collection=value)))
    if error is not None:
        assert error.parameter == "collection"
        assert value != "esaptest-images"
        return
    # only the fixed collection itself is accepted
    assert value == "esaptest-images"
    assert scan(build_adql(FIXED, QueryParams(collection=value)))[1] == ["esaptest-images"]


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300)
@given(ra=st.floats(), dec=st.floats(), radius=st.floats())
def test_cone_numbers_are_refused_or_read_back_exactly(
    ra: float, dec: float, radius: float
) -> None:
    try:
        query = build_adql(OBSCORE, QueryParams(ra=ra, dec=dec, radius=radius))
    except InvalidParameter:
        assert not all(math.isfinite(v) for v in (ra, dec, radius))
        return
    match = re.fullmatch(
        r"SELECT \* FROM ivoa\.obscore WHERE CONTAINS\(POINT\('ICRS', s_ra, s_dec\), "
        r"CIRCLE\('ICRS', (\S+), (\S+), (\S+)\)\) = 1",
        query,
    )
    assert match is not None, query
    assert [float(g) for g in match.groups()] == [ra, dec, radius]


@given(level=st.integers(min_value=0, max_value=4))
def test_calibration_level_is_a_number_literal(level: int) -> None:
    query = build_adql(OBSCORE, QueryParams(calibration_level=level))
    assert query == f"SELECT * FROM ivoa.obscore WHERE calib_level = {level}"


def test_full_query_shape() -> None:
    params = QueryParams(
        target="M 31",
        ra=10.0,
        dec=-30.0,
        radius=0.5,
        collection="esaptest-images",
        calibration_level=2,
        dataproduct_type="Image",
    ).validated()
    assert build_adql(OBSCORE, params) == (
        "SELECT * FROM ivoa.obscore WHERE "
        "CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 10.0, -30.0, 0.5)) = 1 "
        "AND target_name = 'M 31' AND obs_collection = 'esaptest-images' "
        "AND dataproduct_type = 'image' AND calib_level = 2"
    )


def test_no_parameters_selects_the_table() -> None:
    assert build_adql(OBSCORE, QueryParams()) == "SELECT * FROM ivoa.obscore"


def test_fixed_collection_is_always_applied() -> None:
    assert build_adql(FIXED, QueryParams()) == (
        "SELECT * FROM ivoa.obscore WHERE obs_collection = 'esaptest-images'"
    )


def test_field_map_columns_are_used_for_other_tables() -> None:
    query = build_adql(SOURCES, QueryParams(ra=150.0, dec=2.0, radius=0.5))
    assert query == (
        "SELECT * FROM esaptest.sources WHERE "
        "CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 150.0, 2.0, 0.5)) = 1"
    )


def test_unmapped_filter_on_other_table_is_unsupported() -> None:
    with pytest.raises(UnsupportedParameter) as caught:
        build_adql(SOURCES, QueryParams(calibration_level=2))
    assert caught.value.parameter == "calibrationLevel"


@pytest.mark.parametrize(
    "name",
    ["ivoa.obscore; DROP", "a b", "x--", "t/**/", '"quoted"', "1table", "a.b.c.d", "tab'le", ""],
)
def test_identifier_refuses_anything_but_plain_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a plain ADQL identifier"):
        adql.identifier(name)


@pytest.mark.parametrize("value", [True, "1", None, float("nan"), float("inf"), -float("inf")])
def test_number_literal_refuses_non_numbers(value: object) -> None:
    with pytest.raises(InvalidParameter):
        adql.number_literal(value, parameter="x")  # type: ignore[arg-type]


@given(value=finite)
def test_number_literal_reads_back(value: float) -> None:
    assert float(adql.number_literal(value, parameter="x")) == value
