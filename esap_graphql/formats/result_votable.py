"""One page of a dataset query as a VOTable, for SAMP tools (TOPCAT, Aladin) and pyvo.

Pure: records in, bytes out; the VOTable is written by astropy, as the basket export is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import MaskedColumn, Table

from esap_graphql.domain.records import Record

#: (column, record attribute, kind, unit, UCD, description), in order.
_COLUMNS: tuple[tuple[str, str, str, str | None, str | None, str], ...] = (
    ("record_id", "id", "text", None, "meta.id;meta.main", "Identifier of the record"),
    ("title", "title", "text", None, "meta.title", "Title of the data product"),
    ("target", "target", "text", None, "meta.id;src", "Observed target"),
    ("ra", "ra", "float", "deg", "pos.eq.ra;meta.main", "Right ascension (ICRS)"),
    ("dec", "dec", "float", "deg", "pos.eq.dec;meta.main", "Declination (ICRS)"),
    ("fov", "fov", "float", "deg", "phys.angSize;instr.fov", "Field of view (diameter)"),
    ("dataproduct_type", "dataproduct_type", "text", None, "meta.code.class", "Product type"),
    ("calibration_level", "calibration_level", "int", None, "meta.code;obs.calib", "Level 0-4"),
    ("collection", "collection", "text", None, "meta.id", "Collection"),
    ("size_bytes", "size_bytes", "int", "byte", "phys.size;meta.file", "Size of the product"),
    ("access_url", "access_url", "text", None, "meta.ref.url", "URL of the data product"),
    ("access_format", "access_format", "text", None, "meta.code.mime", "MIME type"),
    ("thumbnail_url", "thumbnail_url", "text", None, "meta.ref.url;meta.preview", "Preview"),
)


@dataclass(frozen=True, slots=True)
class ResultPage:
    """What the table says about itself."""

    dataset_id: str
    dataset_name: str
    page: int
    page_size: int
    total_count: int
    overflow: bool
    native_query: str | None


def _column(values: Sequence[Any], kind: str) -> MaskedColumn:
    mask = [v is None for v in values]
    if kind == "float":
        data = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    elif kind == "int":
        data = np.array([0 if v is None else int(v) for v in values], dtype=np.int64)
    else:
        data = np.array(["" if v is None else str(v) for v in values], dtype=np.str_)
    return MaskedColumn(data, mask=mask)


def render_page(page: ResultPage, records: Sequence[Record]) -> bytes:
    """The records of one page as a VOTable document."""
    table = Table()
    for name, attribute, kind, unit, _ucd, description in _COLUMNS:
        column = _column([getattr(r, attribute) for r in records], kind)
        column.description = description
        if unit:
            column.unit = unit
        table[name] = column
    votable = from_table(table)
    resource = votable.resources[0]
    resource.type = "results"
    resource.infos.append(Info(name="QUERY_STATUS", value="OVERFLOW" if page.overflow else "OK"))
    if page.native_query:
        resource.infos.append(Info(name="QUERY", value=page.native_query))
    vo_table = resource.tables[0]
    vo_table.name = page.dataset_id
    first = (page.page - 1) * page.page_size + 1
    vo_table.description = (
        f"ESAP query of {page.dataset_name} ({page.dataset_id}): records {first} to "
        f"{first + len(records) - 1} of {page.total_count}"
    )
    ucds = {name: ucd for name, _a, _k, _u, ucd, _d in _COLUMNS}
    for vo_field in vo_table.fields:
        if ucds.get(vo_field.name):
            vo_field.ucd = ucds[vo_field.name]
        if vo_field.datatype == "unicodeChar":
            vo_field.arraysize = "*"
    out = io.BytesIO()
    votable.to_xml(out)
    return out.getvalue()
