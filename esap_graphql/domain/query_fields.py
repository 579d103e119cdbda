"""The query form each protocol offers, so a frontend can draw it from the API alone."""

from __future__ import annotations

from dataclasses import replace

from esap_graphql.domain.archives import FieldType, Protocol, QueryField
from esap_graphql.domain.query import DATAPRODUCT_TYPES, public_name

_RA = QueryField(
    name="ra",
    label="RA",
    type=FieldType.FLOAT,
    unit="deg",
    description="Right ascension of the search centre (ICRS), 0 to 360 degrees.",
)
_DEC = QueryField(
    name="dec",
    label="Dec",
    type=FieldType.FLOAT,
    unit="deg",
    description="Declination of the search centre (ICRS), -90 to 90 degrees.",
)
_RADIUS = QueryField(
    name="radius",
    label="Search radius",
    type=FieldType.FLOAT,
    unit="deg",
    default="0.1",
    description="Radius of the search cone, greater than 0 and at most 90 degrees.",
)
_TARGET = QueryField(
    name="target",
    label="Target name",
    type=FieldType.STRING,
    description="Name of the observed target, matched exactly.",
)
_CALIB = QueryField(
    name=public_name("calibration_level"),
    label="Calibration level",
    type=FieldType.ENUM,
    allowed_values=("0", "1", "2", "3", "4"),
    description="ObsCore calibration level: 0 raw instrument data to 4 analysis products.",
)
_DPTYPE = QueryField(
    name=public_name("dataproduct_type"),
    label="Data product type",
    type=FieldType.ENUM,
    allowed_values=DATAPRODUCT_TYPES,
    description="ObsCore data product type.",
)


def _collection_field(collections: tuple[str, ...]) -> QueryField:
    return QueryField(
        name="collection",
        label="Collection",
        type=FieldType.ENUM if collections else FieldType.STRING,
        allowed_values=collections,
        description="Data collection (ObsCore obs_collection).",
    )


def default_query_fields(
    protocol: Protocol,
    *,
    obscore: bool,
    fixed_collection: str | None,
    collections: tuple[str, ...],
) -> tuple[QueryField, ...]:
    """The fields a dataset offers when its configuration names none.

    A cone search needs its cone; ObsCore-shaped TAP tables and SIA v2
    services also filter on target, collection, calibration level and
    product type. A fixed collection is not offered as a choice.
    """
    if protocol is Protocol.SCS:
        # a cone search cannot run without its whole cone
        return tuple(replace(f, required=True) for f in (_RA, _DEC, _RADIUS))
    cone: tuple[QueryField, ...] = (_RA, _DEC, _RADIUS)
    if protocol is Protocol.TAP and not obscore:
        return cone
    extra: tuple[QueryField, ...] = (_TARGET,)
    if fixed_collection is None:
        extra += (_collection_field(collections),)
    return (*cone, *extra, _CALIB, _DPTYPE)
