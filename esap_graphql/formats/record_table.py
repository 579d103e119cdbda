"""Records of many datasets as one VOTable, each row tagged with its dataset (astropy)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from esap_graphql.domain.records import Record

#: The record fields written, with their astropy column kinds.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "U"),
    ("title", "U"),
    ("target", "U"),
    ("ra", "f8"),
    ("dec", "f8"),
    ("fov", "f8"),
    ("dataproduct_type", "U"),
    ("calibration_level", "i8"),
    ("collection", "U"),
    ("size_bytes", "i8"),
    ("access_url", "U"),
    ("access_format", "U"),
)
_MISSING = {"U": "", "f8": float("nan"), "i8": -1}


def records_votable(rows: Sequence[tuple[str, Record]]) -> bytes:
    """A VOTable of (dataset id, record) rows; missing values are masked. CPU-bound: call it
    off the event loop."""
    from astropy.table import MaskedColumn, Table

    table = Table()
    table["dataset"] = [ds for ds, _ in rows] if rows else []
    for name, kind in COLUMNS:
        values = [getattr(r, name) for _, r in rows]
        mask = [v is None for v in values]
        filled = [_MISSING[kind] if v is None else v for v in values]
        if kind == "U":
            filled = [str(v) for v in filled]
        table[name] = MaskedColumn(filled, mask=mask, dtype=None if rows else kind)
    if not rows:
        table["dataset"] = table["dataset"].astype("U")
    buffer = io.BytesIO()
    table.write(buffer, format="votable")
    return buffer.getvalue()
