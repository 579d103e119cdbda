"""Query parameters are checked before any archive sees them."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esap_graphql.domain.errors import InvalidParameter
from esap_graphql.domain.query import (
    MAX_RADIUS_DEG,
    MAX_TEXT_LENGTH,
    Page,
    QueryParams,
    validate_page,
)


def test_a_full_valid_query_is_normalised() -> None:
    params = QueryParams(
        target="  M 31 ",
        ra=10.5,
        dec=-41,
        radius=0.25,
        collection=" esaptest-images ",
        calibration_level=2,
        dataproduct_type=" Image ",
    ).validated()
    assert params == QueryParams(
        target="M 31",
        ra=10.5,
        dec=-41.0,
        radius=0.25,
        collection="esaptest-images",
        calibration_level=2,
        dataproduct_type="image",
    )
    assert params.has_cone
    assert isinstance(params.dec, float)


def test_nothing_given_is_an_empty_query() -> None:
    params = QueryParams().validated()
    assert params == QueryParams()
    assert not params.has_cone
    assert params.given() == {}


def test_blank_text_means_no_filter() -> None:
    assert (
        QueryParams(target="   ", collection="", dataproduct_type=" ").validated() == QueryParams()
    )


def test_unicode_is_normalised_to_nfc() -> None:
    decomposed = "Ω Cen" + "e\u0301"
    assert QueryParams(target=decomposed).validated().target == "Ω Cen\u00e9"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"ra": -0.001, "dec": 0.0, "radius": 1.0}, "ra"),
        ({"ra": 360.001, "dec": 0.0, "radius": 1.0}, "ra"),
        ({"ra": 10.0, "dec": 90.5, "radius": 1.0}, "dec"),
        ({"ra": 10.0, "dec": -90.5, "radius": 1.0}, "dec"),
        ({"ra": 10.0, "dec": 0.0, "radius": MAX_RADIUS_DEG + 1}, "radius"),
        ({"ra": 10.0, "dec": 0.0, "radius": 0.0}, "radius"),
        ({"ra": 10.0, "dec": 0.0, "radius": -1.0}, "radius"),
    ],
)
def test_out_of_range_positions(kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        QueryParams(**kwargs).validated()
    assert caught.value.parameter == parameter
    assert caught.value.code == "invalid_parameter"
    assert caught.value.message.startswith(f"{parameter}: ")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["ra", "dec", "radius"])
def test_non_finite_numbers(name: str, bad: float) -> None:
    kwargs: dict[str, Any] = {"ra": 10.0, "dec": 0.0, "radius": 1.0, name: bad}
    with pytest.raises(InvalidParameter, match="finite") as caught:
        QueryParams(**kwargs).validated()
    assert caught.value.parameter == name


def test_boundaries_are_accepted() -> None:
    assert QueryParams(ra=0.0, dec=-90.0, radius=MAX_RADIUS_DEG).validated().dec == -90.0
    assert QueryParams(ra=359.999, dec=90.0, radius=1e-6).validated().ra == 359.999
    # 360 is the same meridian as 0
    assert QueryParams(ra=360.0, dec=0.0, radius=1.0).validated().ra == 0.0


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"ra": 10.0}, "dec,radius"),
        ({"dec": 10.0}, "ra,radius"),
        ({"radius": 1.0}, "ra,dec"),
        ({"ra": 10.0, "dec": 10.0}, "radius"),
        ({"ra": 10.0, "radius": 1.0}, "dec"),
    ],
)
def test_partial_cone_names_what_is_missing(kwargs: dict[str, Any], missing: str) -> None:
    with pytest.raises(InvalidParameter, match="given together") as caught:
        QueryParams(**kwargs).validated()
    assert caught.value.parameter == missing


@pytest.mark.parametrize("name", ["target", "collection", "dataproductType"])
def test_oversized_text(name: str) -> None:
    python_name = {"dataproductType": "dataproduct_type"}.get(name, name)
    with pytest.raises(InvalidParameter, match=f"longer than {MAX_TEXT_LENGTH}") as caught:
        QueryParams(**{python_name: "a" * (MAX_TEXT_LENGTH + 1)}).validated()  # type: ignore[arg-type]
    assert caught.value.parameter == name


def test_text_at_the_length_limit_is_accepted() -> None:
    assert QueryParams(target="a" * MAX_TEXT_LENGTH).validated().target == "a" * MAX_TEXT_LENGTH


@pytest.mark.parametrize(
    "text", ["a\x00b", "line\nbreak", "tab\there", "bell\x07", "del\x7f", "c1\x85x", "x\u0378"]
)
def test_control_and_unassigned_characters_are_refused(text: str) -> None:
    with pytest.raises(InvalidParameter, match="control or unassigned") as caught:
        QueryParams(target=text).validated()
    assert caught.value.parameter == "target"


@pytest.mark.parametrize("collection", ["a;b", "x' OR '1'='1", "/* c */", "-leading", "a\\b"])
def test_collection_allows_only_a_safe_alphabet(collection: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        QueryParams(collection=collection).validated()
    assert caught.value.parameter == "collection"


@pytest.mark.parametrize("level", [-1, 5, 100])
def test_calibration_level_range(level: int) -> None:
    with pytest.raises(InvalidParameter) as caught:
        QueryParams(calibration_level=level).validated()
    assert caught.value.parameter == "calibrationLevel"


def test_unknown_dataproduct_type() -> None:
    with pytest.raises(InvalidParameter, match="must be one of") as caught:
        QueryParams(dataproduct_type="hologram").validated()
    assert caught.value.parameter == "dataproductType"


@given(
    ra=st.floats(min_value=0, max_value=360),
    dec=st.floats(min_value=-90, max_value=90),
    radius=st.floats(min_value=0, max_value=MAX_RADIUS_DEG, exclude_min=True),
)
def test_every_cone_in_range_is_accepted(ra: float, dec: float, radius: float) -> None:
    params = QueryParams(ra=ra, dec=dec, radius=radius).validated()
    assert params.has_cone
    assert params.ra is not None
    assert 0.0 <= params.ra < 360.0
    assert (params.dec, params.radius) == (dec, radius)


def test_cache_key_equal_for_equal_queries() -> None:
    a = QueryParams(target=" M 31", ra=10.0, dec=41.0, radius=1.0).validated()
    b = QueryParams(target="M 31 ", ra=10, dec=41, radius=1).validated()
    assert a.cache_key() == b.cache_key()
    assert (
        a.cache_key()
        != QueryParams(target="M 33", ra=10.0, dec=41.0, radius=1.0).validated().cache_key()
    )
    assert hash(a.cache_key()) == hash(b.cache_key())


# --- pages -----------------------------------------------------------------------------


def test_page_slices() -> None:
    assert Page(1, 50).slice() == slice(0, 50)
    assert Page(3, 7).slice() == slice(14, 21)
    rows = list(range(20))
    pages = [rows[Page(n, 7).slice()] for n in (1, 2, 3, 4)]
    assert pages == [list(range(7)), list(range(7, 14)), list(range(14, 20)), []]


@pytest.mark.parametrize(
    ("number", "size", "parameter"),
    [
        (0, 10, "page"),
        (-1, 10, "page"),
        (1, 0, "pageSize"),
        (1, -5, "pageSize"),
        (1, 101, "pageSize"),
    ],
)
def test_page_bounds(number: int, size: int, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate_page(number, size, max_size=100)
    assert caught.value.parameter == parameter


def test_page_at_bounds_is_accepted() -> None:
    assert validate_page(1, 100, max_size=100) == Page(1, 100)
    assert validate_page(10**6, 1, max_size=100) == Page(10**6, 1)
