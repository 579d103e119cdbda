"""A basket as a file: VOTable (TOPCAT, Aladin, pyvo), CSV and JSON.

Pure functions of a domain ``Basket``; the VOTable is written by astropy.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import MaskedColumn, Table

from esap_graphql.domain.basket import Basket, BasketItem, ExportFormat

#: Columns of every export, in order: (name, description).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Basket item id"),
    ("archive", "Archive id"),
    ("dataset", "Dataset id"),
    ("dataset_available", "True while the dataset is still configured in the gateway"),
    ("record_id", "Identifier of the record in its archive"),
    ("title", "Title of the data product"),
    ("access_url", "URL to retrieve the data product"),
    ("access_format", "MIME type of the data product"),
    ("size_bytes", "Size of the data product in bytes"),
    ("ra", "Right ascension (ICRS)"),
    ("dec", "Declination (ICRS)"),
    ("added_at", "When the item was added (ISO 8601, UTC)"),
    ("record", "The native record, as JSON"),
)

_UCD = {
    "record_id": "meta.id;meta.main",
    "title": "meta.title",
    "access_url": "meta.ref.url",
    "access_format": "meta.code.mime",
    "ra": "pos.eq.ra;meta.main",
    "dec": "pos.eq.dec;meta.main",
    "added_at": "time.creation",
}


def _row(item: BasketItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "archive": item.archive_id,
        "dataset": item.dataset_id,
        "dataset_available": item.dataset_available,
        "record_id": item.record_id,
        "title": item.title,
        "access_url": item.access_url,
        "access_format": item.access_format,
        "size_bytes": item.size_bytes,
        "ra": item.ra,
        "dec": item.dec,
        "added_at": item.added_at.isoformat(),
        "record": item.record,
    }


def as_table(basket: Basket) -> dict[str, Any]:
    """The basket as ``{columns: [...], rows: [[...]]}``, values as in the JSON export."""
    names = [name for name, _ in COLUMNS]
    return {
        "columns": names,
        "rows": [list(_row(i).values()) for i in basket.items],
    }


def render(basket: Basket, fmt: ExportFormat) -> bytes:
    """The basket in one format."""
    rows = [_row(i) for i in basket.items]
    if fmt is ExportFormat.JSON:
        doc = {"basket": basket.name, "count": len(rows), "items": rows}
        return json.dumps(doc, ensure_ascii=False, indent=1).encode()
    if fmt is ExportFormat.CSV:
        return _csv(rows)
    return _votable(basket.name, rows)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    for row in rows:
        writer.writerow(
            [
                json.dumps(row[n], ensure_ascii=False)
                if n == "record"
                else ("" if row[n] is None else row[n])
                for n, _ in COLUMNS
            ]
        )
    return out.getvalue().encode()


def _strings(values: list[Any]) -> MaskedColumn:
    data = np.array(["" if v is None else str(v) for v in values], dtype=np.str_)
    return MaskedColumn(data, mask=[v is None for v in values])


def _votable(name: str, rows: list[dict[str, Any]]) -> bytes:
    table = Table()
    for column, description in COLUMNS:
        values = [
            json.dumps(r[column], ensure_ascii=False) if column == "record" else r[column]
            for r in rows
        ]
        if column in ("ra", "dec"):
            col = MaskedColumn(
                np.array([np.nan if v is None else v for v in values], dtype=np.float64),
                mask=[v is None for v in values],
                unit="deg",
            )
        elif column == "size_bytes":
            col = MaskedColumn(
                np.array([0 if v is None else v for v in values], dtype=np.int64),
                mask=[v is None for v in values],
                unit="byte",
            )
        elif column == "dataset_available":
            col = MaskedColumn(np.array(values, dtype=bool), mask=False)
        else:
            col = _strings(values)
        col.description = description
        table[column] = col
    votable = from_table(table)
    resource = votable.resources[0]
    resource.type = "results"
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    vo_table = resource.tables[0]
    vo_table.name = "basket"
    vo_table.description = f"ESAP basket {name!r}: {len(rows)} items"
    for vo_field in vo_table.fields:
        ucd = _UCD.get(vo_field.name)
        if ucd:
            vo_field.ucd = ucd
        if vo_field.datatype == "unicodeChar":
            vo_field.arraysize = "*"  # variable length, not the longest value seen
        elif vo_field.name == "dataset_available":
            vo_field.datatype = "boolean"
    out = io.BytesIO()
    votable.to_xml(out)
    return out.getvalue()
