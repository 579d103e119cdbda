"""Result records and table metadata, independent of any protocol."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from esap_graphql.domain.datalink import ServiceDescriptor


class NativeRow(Mapping[str, Any]):
    """One row of columnar data, read on demand.

    Records keep their native columns this way so that a page of 10,000 rows
    costs nothing for the columns nobody asks for.
    """

    __slots__ = ("_columns", "_index")

    def __init__(self, columns: Mapping[str, Sequence[Any]], index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def to_dict(self) -> dict[str, Any]:
        """The row as a plain dict, in one pass (``dict(row)`` looks each key up twice)."""
        index = self._index
        return {name: values[index] for name, values in self._columns.items()}


def fields_dict(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record's native columns as a plain dict."""
    return fields.to_dict() if type(fields) is NativeRow else dict(fields)


_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)
class Record:
    """One result row in ESAP's common vocabulary, plus every native column."""

    id: str | None
    title: str | None = None
    target: str | None = None
    ra: float | None = None
    dec: float | None = None
    fov: float | None = None
    dataproduct_type: str | None = None
    calibration_level: int | None = None
    collection: str | None = None
    size_bytes: int | None = None
    access_url: str | None = None
    access_format: str | None = None
    thumbnail_url: str | None = None
    fields: Mapping[str, Any] = field(default_factory=lambda: _NO_FIELDS)
    #: The DataLink service the answer declared for its records, if any (a property of the
    #: answer, not of the record's data: records compare equal without it).
    datalink: ServiceDescriptor | None = field(default=None, compare=False)


def native_rows(records: Sequence[Record], names: Sequence[str]) -> list[list[Any]]:
    """The native values of ``records`` as rows, in ``names`` order (None where absent).

    A page of records read from one answer is a run of one set of columns:
    it is transposed in one step rather than looked up cell by cell.
    """
    count = len(records)
    if count and type(first := records[0].fields) is NativeRow:
        columns, start = first._columns, first._index
        contiguous = all(
            type(row := record.fields) is NativeRow
            and row._columns is columns
            and row._index == index
            for index, record in enumerate(records, start)
        )
        if contiguous and names:
            picked = [
                columns[name][start : start + count] if name in columns else [None] * count
                for name in names
            ]
            return [list(row) for row in zip(*picked, strict=True)]
    return [[record.fields.get(name) for name in names] for record in records]


#: The Record attributes a dataset's ``fields`` mapping may point at native columns.
RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "title",
    "target",
    "ra",
    "dec",
    "fov",
    "dataproduct_type",
    "calibration_level",
    "collection",
    "size_bytes",
    "access_url",
    "access_format",
    "thumbnail_url",
)


class ResultStatus(enum.Enum):
    """How a dataset query ended."""

    OK = "ok"
    OVERFLOW = "overflow"
    ERROR = "error"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A column of a table, as VOSI describes it."""

    name: str
    description: str | None = None
    unit: str | None = None
    ucd: str | None = None
    datatype: str | None = None


@dataclass(frozen=True, slots=True)
class Capability:
    """One capability of an archive service (VOSI): a standard it speaks and where."""

    standard_id: str
    access_url: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A table of a TAP service, with its columns."""

    name: str
    description: str | None = None
    columns: tuple[ColumnInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultSet:
    """All the records an archive returned for one query (before paging).

    ``overflow`` is true when the archive stopped at its row limit, so more
    records match than ``records`` holds.
    """

    records: tuple[Record, ...]
    native_query: str
    columns: tuple[ColumnInfo, ...] = ()
    overflow: bool = False
