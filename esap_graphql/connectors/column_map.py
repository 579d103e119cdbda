"""Which native column feeds which record field: configuration, ObsCore names, then UCDs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: ObsCore column names (TAP ObsCore tables and SIA v2 answers).
OBSCORE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("obs_publisher_did", "obs_id"),
    "title": ("obs_title", "obs_id"),
    "target": ("target_name",),
    "ra": ("s_ra",),
    "dec": ("s_dec",),
    "fov": ("s_fov",),
    "dataproduct_type": ("dataproduct_type",),
    "calibration_level": ("calib_level",),
    "collection": ("obs_collection",),
    "size_bytes": ("access_estsize",),
    "access_url": ("access_url",),
    "access_format": ("access_format",),
    "thumbnail_url": ("preview",),
}

#: UCDs (UCD1+ and the SCS 1.0 / SIA 1.0 UCD1 forms), in order of preference.
UCD_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("meta.id;meta.main", "id_main", "meta.ref.ivoid", "meta.id"),
    "title": ("vox:image_title", "meta.title", "meta.id;meta.main", "id_main"),
    "ra": ("pos.eq.ra;meta.main", "pos_eq_ra_main", "pos.eq.ra"),
    "dec": ("pos.eq.dec;meta.main", "pos_eq_dec_main", "pos.eq.dec"),
    "fov": ("phys.angsize;instr.fov", "instr.fov"),
    "size_bytes": ("vox:image_filesize", "phys.size;meta.file"),
    "access_url": ("vox:image_accessreference", "meta.ref.url;meta.dataset", "meta.ref.url"),
    "access_format": ("vox:image_format", "meta.code.mime"),
    "thumbnail_url": ("meta.ref.url;meta.preview",),
}

# Units of access_estsize by the ObsCore standard, when the service omits them.
DEFAULT_UNITS: Mapping[str, str] = {"access_estsize": "kbyte"}


@dataclass(frozen=True, slots=True)
class NativeColumn:
    """What mapping needs to know of one native column."""

    name: str
    ucd: str | None = None
    unit: str | None = None


def map_columns(
    columns: Sequence[NativeColumn], configured: Mapping[str, str]
) -> dict[str, NativeColumn]:
    """Record field -> native column, for every field some column can feed."""
    by_name = {c.name.lower(): c for c in columns}
    by_ucd: dict[str, NativeColumn] = {}
    for column in columns:
        if column.ucd:
            by_ucd.setdefault(column.ucd.lower(), column)
    mapping: dict[str, NativeColumn] = {}
    for record_field in {*OBSCORE_COLUMNS, *UCD_COLUMNS, *configured}:
        explicit = configured.get(record_field)
        if explicit is not None:
            if explicit.lower() in by_name:
                mapping[record_field] = by_name[explicit.lower()]
            continue
        for name in OBSCORE_COLUMNS.get(record_field, ()):
            if name in by_name:
                mapping[record_field] = by_name[name]
                break
        else:
            for ucd in UCD_COLUMNS.get(record_field, ()):
                if ucd in by_ucd:
                    mapping[record_field] = by_ucd[ucd]
                    break
    return mapping
