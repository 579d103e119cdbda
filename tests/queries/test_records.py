"""Records keep native columns columnar; a page of them turns into table rows."""

from __future__ import annotations

from typing import Any

import pytest

from esap_graphql.domain.records import NativeRow, Record, fields_dict, native_rows
from tests.support import make_records


def cell_by_cell(records: tuple[Record, ...], names: list[str]) -> list[list[Any]]:
    return [[r.fields.get(n) for n in names] for r in records]


def test_native_row_reads_its_row() -> None:
    columns: dict[str, list[Any]] = {"a": [1, 2, 3], "b": ["x", None, "z"]}
    row = NativeRow(columns, 1)
    assert dict(row) == {"a": 2, "b": None}
    assert len(row) == 2
    assert list(row) == ["a", "b"]
    assert row.get("missing") is None
    with pytest.raises(KeyError):
        row["missing"]
    assert NativeRow(columns, 2) == {"a": 3, "b": "z"}


@pytest.mark.parametrize(
    ("page", "names"),
    [
        (slice(0, 10), ["id", "ra", "dec"]),
        (slice(3, 7), ["dec", "id"]),
        (slice(5, 6), ["ra"]),
        (slice(0, 10), ["id", "no_such_column", "ra"]),
        (slice(4, 4), ["id"]),
        (slice(0, 3), []),
    ],
)
def test_native_rows_of_a_page_equal_cell_by_cell(page: slice, names: list[str]) -> None:
    records = make_records(10)[page]
    assert native_rows(records, names) == cell_by_cell(records, names)


def test_native_rows_of_mixed_answers_equal_cell_by_cell() -> None:
    a, b = make_records(5, prefix="a"), make_records(5, prefix="b")
    mixed = (a[0], a[1], b[2], a[3])
    shuffled = (a[2], a[1], a[0])
    plain = (Record(id="p", fields={"id": "p", "ra": 1.0}), *a[:2])
    for records in (mixed, shuffled, plain):
        assert native_rows(records, ["id", "ra", "dec"]) == cell_by_cell(
            records, ["id", "ra", "dec"]
        )
    assert native_rows(mixed, ["id"]) == [["a-0"], ["a-1"], ["b-2"], ["a-3"]]


def test_native_rows_without_native_columns() -> None:
    records = (Record(id="x"), Record(id="y"))
    assert native_rows(records, ["id"]) == [[None], [None]]


def test_fields_dict_reads_one_row_in_column_order() -> None:
    columns = {"b": [1, 2], "a": ["x", None]}
    row = NativeRow(columns, 1)
    assert fields_dict(row) == {"b": 2, "a": None}
    assert list(fields_dict(row)) == ["b", "a"]
    assert fields_dict(row) == dict(row)
    assert fields_dict({"k": 1}) == {"k": 1}
