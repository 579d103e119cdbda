"""Query parameters common to every dataset, validated before any archive sees them."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, fields

from esap_graphql.domain.errors import InvalidParameter
from esap_graphql.domain.query_fields import DATAPRODUCT_TYPES

#: Longest free-text value accepted (target names, collections).
MAX_TEXT_LENGTH = 256
#: Largest search radius accepted, in degrees.
MAX_RADIUS_DEG = 90.0

_DATAPRODUCT_TYPES = frozenset(DATAPRODUCT_TYPES)
_COLLECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/+()-]*$")


@dataclass(frozen=True, slots=True)
class QueryParams:
    """The parameters of one dataset query, in ESAP's common vocabulary.

    Positions are ICRS degrees. Every value has been checked by ``validate``.
    """

    target: str | None = None
    ra: float | None = None
    dec: float | None = None
    radius: float | None = None
    collection: str | None = None
    calibration_level: int | None = None
    dataproduct_type: str | None = None

    @property
    def has_cone(self) -> bool:
        """True when a cone (ra, dec, radius) is given."""
        return self.ra is not None and self.dec is not None and self.radius is not None

    def cache_key(self) -> tuple[object, ...]:
        """A hashable, normalised form: equal keys mean equal upstream queries."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def given(self) -> dict[str, object]:
        """The parameters that were set, by name."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


def _check_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        return None
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidParameter(name, f"longer than {MAX_TEXT_LENGTH} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in value):
        raise InvalidParameter(name, "contains control or unassigned characters")
    return value


def _check_finite(name: str, value: float | None, low: float, high: float) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value):
        raise InvalidParameter(name, "must be a finite number")
    if not low <= value <= high:
        raise InvalidParameter(name, f"must be between {low:g} and {high:g} degrees, got {value:g}")
    return float(value)


def validate(
    *,
    target: str | None = None,
    ra: float | None = None,
    dec: float | None = None,
    radius: float | None = None,
    collection: str | None = None,
    calibration_level: int | None = None,
    dataproduct_type: str | None = None,
) -> QueryParams:
    """Check and normalise raw values into ``QueryParams``; raise ``InvalidParameter``."""
    ra_v = _check_finite("ra", ra, 0.0, 360.0)
    if ra_v == 360.0:
        ra_v = 0.0
    dec_v = _check_finite("dec", dec, -90.0, 90.0)
    radius_v = _check_finite("radius", radius, 0.0, MAX_RADIUS_DEG)
    if radius_v is not None and radius_v <= 0.0:
        raise InvalidParameter("radius", "must be greater than 0")
    position = (ra_v, dec_v, radius_v)
    # a radius alone is the cone around a target name's position
    named_cone = ra_v is None and dec_v is None and bool(target and target.strip())
    if any(v is not None for v in position) and any(v is None for v in position) and not named_cone:
        missing = [n for n, v in zip(("ra", "dec", "radius"), position, strict=True) if v is None]
        raise InvalidParameter(
            ",".join(missing), "ra, dec and radius must be given together for a cone search"
        )
    collection_v = _check_text("collection", collection)
    if collection_v is not None and not _COLLECTION.match(collection_v):
        raise InvalidParameter(
            "collection", "may hold only letters, digits, spaces and _ . : / + ( ) -"
        )
    if calibration_level is not None and not 0 <= calibration_level <= 4:
        raise InvalidParameter("calibrationLevel", "must be between 0 and 4 (ObsCore calib_level)")
    dptype = _check_text("dataproductType", dataproduct_type)
    if dptype is not None:
        dptype = dptype.lower()
        if dptype not in _DATAPRODUCT_TYPES:
            allowed = ", ".join(sorted(_DATAPRODUCT_TYPES))
            raise InvalidParameter("dataproductType", f"must be one of {allowed}")
    return QueryParams(
        target=_check_text("target", target),
        ra=ra_v,
        dec=dec_v,
        radius=radius_v,
        collection=collection_v,
        calibration_level=calibration_level,
        dataproduct_type=dptype,
    )


@dataclass(frozen=True, slots=True)
class Page:
    """A 1-based page of a result."""

    number: int = 1
    size: int = 50

    def slice(self) -> slice:
        """The rows of this page within the whole result."""
        start = (self.number - 1) * self.size
        return slice(start, start + self.size)


def validate_page(number: int, size: int, *, max_size: int) -> Page:
    """Check a page request; raise ``InvalidParameter``."""
    if number < 1:
        raise InvalidParameter("page", "must be 1 or more")
    if not 1 <= size <= max_size:
        raise InvalidParameter("pageSize", f"must be between 1 and {max_size}")
    return Page(number, size)
