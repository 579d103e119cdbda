"""VOTable answers to records: pure code, no I/O, tested on recorded responses.

astropy parses, pyvo judges the answer (QUERY_STATUS, results resource), and
this module turns the table into ``Record`` objects column by column.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat, starmap
from types import MappingProxyType
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io.votable import parse as parse_votable_file
from astropy.io.votable.tree import CooSys, VOTableFile
from astropy.table import Table
from pyvo.dal.exceptions import DALFormatError, DALQueryError
from pyvo.dal.query import DALResults

from esap_graphql.connectors.column_map import DEFAULT_UNITS, NativeColumn, map_columns
from esap_graphql.connectors.service_descriptor import find_descriptor
from esap_graphql.connectors.votable_binary import decode_rows, split_binary_stream
from esap_graphql.connectors.votable_header import (
    HEADERS,
    JUDGEMENTS,
    Judgement,
    ParsedHeader,
    TableHeader,
    judgement_key,
    table_header,
)
from esap_graphql.connectors.votable_tabledata import decode_tabledata, split_tabledata
from esap_graphql.domain.datalink import ServiceDescriptor
from esap_graphql.domain.errors import ArchiveFailure, EsapError, MalformedResponse
from esap_graphql.domain.records import ColumnInfo, NativeRow, Record, ResultSet


def _share_reference_frames() -> None:
    """Read astropy's reference-frame vocabulary once, not once per COOSYS element.

    astropy checks every COOSYS ``system`` against the IVOA refframe vocabulary,
    which it loads from a JSON file and caches on the element, not the class:
    about 2 ms for each answer that has a COOSYS (DaCHS's TAP answers do), half
    of parsing a 37-column ObsCore answer. The class-level default astropy
    falls back to is filled in with the very same set.
    """
    frames = getattr(CooSys, "reference_frames", None)
    if isinstance(frames, property) and getattr(CooSys, "_reference_frames", ()) is None:
        probe = object.__new__(CooSys)
        CooSys._reference_frames = frozenset(frames.fget(probe))  # type: ignore[misc]


_share_reference_frames()


def parse_votable(content: bytes, *, url: str) -> VOTableFile:
    """Parse VOTable bytes; raise ``MalformedResponse`` when they are not one."""
    if not content.strip():
        raise MalformedResponse(url, "empty response body")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return parse_votable_file(io.BytesIO(content), verify="ignore")
    except Exception as exc:  # astropy raises many types for broken XML
        raise MalformedResponse(url, f"{type(exc).__name__}: {exc}") from exc


def _overflowed(votable: VOTableFile) -> bool:
    """True when any QUERY_STATUS INFO (root, resource or table) says OVERFLOW.

    Protocols put the INFO in different places and pyvo's SCS reader reports
    the INFO's name rather than its value, so look everywhere ourselves.
    """
    infos = list(votable.infos)
    for resource in votable.resources:
        infos.extend(resource.infos)
        for table in resource.tables:
            infos.extend(table.infos)
    return any(
        (info.name or "").upper() == "QUERY_STATUS" and (info.value or "").upper() == "OVERFLOW"
        for info in infos
    )


class ResultTable:
    """The results table of a VOTable, columns addressed by their FIELD names.

    It reads astropy's parsed numpy array directly: building an astropy
    ``Table`` first would cost more than the mapping itself.
    """

    def __init__(self, array: np.ndarray, columns: tuple[ColumnInfo, ...]) -> None:
        self._array = array
        self.columns = columns
        # astropy names the array's fields by FIELD ID when there is one
        self._keys = dict(zip((c.name for c in columns), array.dtype.names or (), strict=False))

    @property
    def colnames(self) -> list[str]:
        """Column names, in FIELD order."""
        return list(self._keys)

    def __getitem__(self, name: str) -> Any:
        return self._array[self._keys[name]]

    def __len__(self) -> int:
        return len(self._array)


class DecodedTable:
    """A results table whose rows ``votable_binary`` read: columns already JSON-ready."""

    def __init__(self, columns: tuple[ColumnInfo, ...], values: list[list[Any]]) -> None:
        self.columns = columns
        self._values = dict(zip((c.name for c in columns), values, strict=True))
        self._length = len(values[0]) if values else 0

    @property
    def colnames(self) -> list[str]:
        """Column names, in FIELD order."""
        return list(self._values)

    def __getitem__(self, name: str) -> list[Any]:
        return self._values[name]

    def __len__(self) -> int:
        return self._length


def check_results(
    votable: VOTableFile, *, url: str, results_class: type[DALResults] = DALResults
) -> tuple[ResultTable, tuple[ColumnInfo, ...], bool]:
    """The results table, its column descriptions and whether the archive flagged an overflow.

    pyvo judges the answer by its protocol's rules: an error status becomes
    ``ArchiveFailure`` with the archive's own message; a VOTable without a
    results table becomes ``MalformedResponse``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = results_class(votable, url=url)
            array = results.resultstable.array
            fields = results.fielddescs
    except DALQueryError as exc:
        raise ArchiveFailure(url, str(exc.reason or "query failed")) from exc
    except DALFormatError as exc:
        raise MalformedResponse(url, str(exc.reason or exc)) from exc
    except Exception as exc:
        raise MalformedResponse(url, f"{type(exc).__name__}: {exc}") from exc
    columns = tuple(
        ColumnInfo(
            name=str(f.name),
            description=" ".join(str(f.description).split()) or None if f.description else None,
            unit=str(f.unit) if f.unit is not None else None,
            ucd=f.ucd or None,
            datatype=f.datatype,
        )
        for f in fields
    )
    return ResultTable(array, columns), columns, _overflowed(votable)


def _column_values(column: Any) -> list[Any]:
    """A column as JSON-ready Python values: masked and NaN become None."""
    # a numpy MaskedArray's .data drops the mask; an astropy Column's .data keeps it
    data = column if isinstance(column, np.ma.MaskedArray) else getattr(column, "data", column)
    kind = getattr(data, "dtype", np.dtype(object)).kind
    if data.ndim > 1:
        values = [None if _all_masked(v) else _plain(v) for v in data]
        return values
    values = data.tolist()
    if kind == "f":
        values = [None if v is None or math.isnan(v) else v for v in values]
    elif kind in ("S", "O"):
        values = [_plain(v) for v in values]
    return values


def _all_masked(value: Any) -> bool:
    mask = getattr(value, "mask", False)
    return bool(np.all(mask))


def _plain(value: Any) -> Any:
    """A single cell as a JSON-ready value."""
    if value is None or value is np.ma.masked:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ma.MaskedArray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _byte_factor(column: NativeColumn) -> float:
    return _bytes_per(column.unit or DEFAULT_UNITS.get(column.name.lower()))


@functools.lru_cache(maxsize=256)
def _bytes_per(unit: str | None) -> float:
    """Bytes in one ``unit`` (1 when it is none or no size): astropy's units, asked once."""
    if not unit:
        return 1.0
    try:
        return float(u.Unit(unit).to(u.byte))
    except (ValueError, u.UnitConversionError):
        return 1.0


def _as_str(value: Any) -> str | None:
    """A text value; DaCHS and others send NULL text as an empty string."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _as_int(value: Any) -> int | None:
    number = _as_float(value)
    return int(number) if number is not None else None


# Whole columns at once: the common value (a non-empty str, a finite float) is
# taken as it is, without a call per value.


def _strs(values: Sequence[Any]) -> list[str | None]:
    return [v if type(v) is str and v else _as_str(v) for v in values]


def _floats(values: Sequence[Any]) -> list[float | None]:
    return [v if type(v) is float and v - v == 0.0 else _as_float(v) for v in values]


def _ints(values: Sequence[Any]) -> list[int | None]:
    return [_as_int(v) for v in values]


def _fallback_id(names: Sequence[str], columns: Mapping[str, list[Any]], index: int) -> str:
    """A stable id for records whose table has no identifier column."""
    digest = hashlib.sha1(usedforsecurity=False)
    for name in names:
        digest.update(repr(columns[name][index]).encode())
    return "row:" + digest.hexdigest()[:20]


def _native_columns(table: Table) -> list[NativeColumn]:
    return [
        NativeColumn(
            name=name,
            ucd=(table[name].meta or {}).get("ucd"),
            unit=str(table[name].unit) if table[name].unit is not None else None,
        )
        for name in table.colnames
    ]


@functools.lru_cache(maxsize=256)
def _described_mapping(
    columns: tuple[ColumnInfo, ...], configured: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, ...], Mapping[str, NativeColumn]]:
    """The column names, and which column feeds which record field, of described columns;
    kept per column set and configuration (every answer of a table has the same ones, and
    the header cache hands over the same tuple)."""
    native = [NativeColumn(name=c.name, ucd=c.ucd, unit=c.unit) for c in columns]
    mapping = map_columns(native, dict(configured))
    return tuple(c.name for c in native), MappingProxyType(mapping)


def table_to_records(
    table: ResultTable | DecodedTable | Table,
    field_map: Mapping[str, str],
    *,
    limit: int | None = None,
) -> tuple[Record, ...]:
    """Map every row to a ``Record``; native columns stay columnar until read."""
    names: Sequence[str]
    mapping: Mapping[str, NativeColumn]
    if isinstance(table, ResultTable | DecodedTable):
        names, mapping = _described_mapping(table.columns, tuple(field_map.items()))
    else:
        native_columns = _native_columns(table)
        names = [c.name for c in native_columns]
        mapping = map_columns(native_columns, field_map)
    nrows = len(table) if limit is None else min(len(table), limit)
    columns: dict[str, list[Any]]
    if isinstance(table, DecodedTable):
        columns = {name: table[name][:nrows] for name in names}
    else:
        columns = {name: _column_values(table[name][:nrows]) for name in names}

    nothing: list[Any] = [None] * nrows

    def mapped(record_field: str, convert: Callable[[Sequence[Any]], list[Any]]) -> list[Any]:
        # column by column: an unmapped field costs no call per row
        column = mapping.get(record_field)
        return convert(columns[column.name]) if column is not None else nothing

    ids = [value or _fallback_id(names, columns, i) for i, value in enumerate(mapped("id", _strs))]
    size_factor = _byte_factor(mapping["size_bytes"]) if "size_bytes" in mapping else 1.0
    sizes = [
        round(size * size_factor) if size is not None else None
        for size in mapped("size_bytes", _floats)
    ]
    return tuple(
        starmap(
            Record,
            zip(  # positional, in Record's field order
                ids,
                mapped("title", _strs),
                mapped("target", _strs),
                mapped("ra", _floats),
                mapped("dec", _floats),
                mapped("fov", _floats),
                mapped("dataproduct_type", _strs),
                mapped("calibration_level", _ints),
                mapped("collection", _strs),
                sizes,
                mapped("access_url", _strs),
                mapped("access_format", _strs),
                mapped("thumbnail_url", _strs),
                map(NativeRow, repeat(columns, nrows), range(nrows)),
                strict=True,
            ),
        )
    )


def _judged(
    header: TableHeader, metadata: bytes, *, url: str, results_class: type[DALResults]
) -> Judgement:
    """What astropy and pyvo judge of an answer whose FIELDs are known (its stand-in
    document), and the DataLink service it declares; a judgement seen before is reused (see
    ``votable_header``). Raise ``EsapError`` as they do."""
    key = judgement_key(header)
    judgement = JUDGEMENTS.get(results_class, key)
    if judgement is None:
        votable = parse_votable(header.stand_in, url=url)
        _, _, overflow = check_results(votable, url=url, results_class=results_class)
        judgement = Judgement(overflow=overflow, descriptor=find_descriptor(metadata))
        JUDGEMENTS.put(results_class, key, judgement)
    return judgement


def _read_fast(
    content: bytes, *, url: str, results_class: type[DALResults]
) -> tuple[DecodedTable, tuple[ColumnInfo, ...], bool, ServiceDescriptor | None] | None:
    """The fast path for a BINARY (``votable_binary``) or TABLEDATA (``votable_tabledata``)
    answer, or None to use astropy's.

    Any problem sends the caller down the astropy path, which then reports
    it exactly as it always has.
    """
    split = split_binary_stream(content)
    decode = decode_rows
    if split is None:
        split = split_tabledata(content)
        decode = decode_tabledata
        if split is None:
            return None
    header = table_header(split.metadata)
    try:
        if header is not None and (known := HEADERS.get(header.key)) is not None:
            # the columns are known: astropy and pyvo judge the rest of the answer
            judgement = _judged(header, split.metadata, url=url, results_class=results_class)
            overflow, descriptor = judgement.overflow, judgement.descriptor
            fields, columns = known.fields, known.columns
        else:
            votable = parse_votable(split.metadata, url=url)
            _, columns, overflow = check_results(votable, url=url, results_class=results_class)
            fields = tuple(votable.get_first_table().fields)
            # the DATA element held no markup: the rest declares the same service
            descriptor = find_descriptor(split.metadata)
            if header is not None:
                HEADERS.put(header.key, ParsedHeader(fields=fields, columns=columns))
    except EsapError:
        return None
    values = decode(split.rows, fields)
    if values is None or len(values) != len(columns):
        return None
    return DecodedTable(columns, values), columns, overflow, descriptor


def votable_to_result(
    content: bytes,
    *,
    url: str,
    native_query: str,
    field_map: Mapping[str, str],
    limit: int,
    results_class: type[DALResults] = DALResults,
) -> ResultSet:
    """Bytes of a VOTable answer to a ``ResultSet`` (CPU-bound: see ``read_votable_answer``)."""
    table: ResultTable | DecodedTable
    fast = _read_fast(content, url=url, results_class=results_class)
    if fast is not None:
        table, columns, overflow, descriptor = fast
    else:
        votable = parse_votable(content, url=url)
        table, columns, overflow = check_results(votable, url=url, results_class=results_class)
        descriptor = find_descriptor(content)
    records = table_to_records(table, field_map, limit=limit)
    if descriptor is not None:
        for record in records:
            record.datalink = descriptor
    return ResultSet(
        records=records,
        native_query=native_query,
        columns=columns,
        overflow=overflow or len(table) > limit,
    )


#: Answers larger than this are read in a worker thread; smaller ones on the event loop.
THREAD_THRESHOLD = 256 * 1024


async def read_votable_answer(content: bytes, **options: Any) -> ResultSet:
    """``votable_to_result(content, **options)``, in a worker thread only for a large answer.

    Reading a usual answer (tens of kB, columns and judgement known) takes
    less than a millisecond, about what handing it to a thread and back costs
    under the GIL; fifty such hand-offs at once also make the event loop
    queue for the GIL behind each thread.
    """
    read = functools.partial(votable_to_result, content, **options)
    if len(content) > THREAD_THRESHOLD:
        return await asyncio.to_thread(read)
    return read()
