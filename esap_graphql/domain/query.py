"""Query parameters common to every dataset, validated before any archive sees them."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from esap_graphql.domain.errors import InvalidParameter

#: ObsCore data product types (``dataproduct_type``).
DATAPRODUCT_TYPES: tuple[str, ...] = (
    "image",
    "cube",
    "spectrum",
    "sed",
    "timeseries",
    "visibility",
    "event",
    "measurements",
)
#: Longest free-text value accepted (target names, collections).
MAX_TEXT_LENGTH = 256
#: Largest search radius accepted, in degrees.
MAX_RADIUS_DEG = 90.0

_DATAPRODUCT_TYPES = frozenset(DATAPRODUCT_TYPES)
_COLLECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/+()-]*$")


@dataclass(frozen=True, slots=True)
class QueryParams:
    """The parameters of one dataset query, in ESAP's common vocabulary.

    Positions are ICRS degrees. The fields are the one declaration of the parameters: their
    names as clients spell them come from ``public_name``. ``validated`` returns the checked,
    normalised value every service and connector works with.
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
        return tuple(getattr(self, name) for name in PARAMETER_NAMES)

    def given(self) -> dict[str, object]:
        """The parameters that were set, by name."""
        return {n: v for n in PARAMETER_NAMES if (v := getattr(self, n)) is not None}

    def validated(self) -> QueryParams:
        """The checked, normalised parameters; raise ``InvalidParameter``."""
        ra = _check_finite("ra", self.ra, 0.0, 360.0)
        if ra == 360.0:
            ra = 0.0
        dec = _check_finite("dec", self.dec, -90.0, 90.0)
        radius = _check_finite("radius", self.radius, 0.0, MAX_RADIUS_DEG)
        if radius is not None and radius <= 0.0:
            raise InvalidParameter("radius", "must be greater than 0")
        position = (ra, dec, radius)
        # a radius alone is the cone around a target name's position
        named_cone = ra is None and dec is None and bool(self.target and str(self.target).strip())
        if (
            any(v is not None for v in position)
            and any(v is None for v in position)
            and not named_cone
        ):
            missing = [
                n for n, v in zip(("ra", "dec", "radius"), position, strict=True) if v is None
            ]
            raise InvalidParameter(
                ",".join(missing), "ra, dec and radius must be given together for a cone search"
            )
        collection = _check_text("collection", self.collection)
        if collection is not None and not _COLLECTION.match(collection):
            raise InvalidParameter(
                "collection", "may hold only letters, digits, spaces and _ . : / + ( ) -"
            )
        level = self.calibration_level
        if level is not None and (isinstance(level, bool) or level not in _CALIBRATION_LEVELS):
            raise InvalidParameter(
                public_name("calibration_level"), "must be between 0 and 4 (ObsCore calib_level)"
            )
        dptype = _check_text("dataproduct_type", self.dataproduct_type)
        if dptype is not None:
            dptype = dptype.lower()
            if dptype not in _DATAPRODUCT_TYPES:
                allowed = ", ".join(sorted(_DATAPRODUCT_TYPES))
                raise InvalidParameter(public_name("dataproduct_type"), f"must be one of {allowed}")
        return QueryParams(
            target=_check_text("target", self.target),
            ra=ra,
            dec=dec,
            radius=radius,
            collection=collection,
            calibration_level=level,
            dataproduct_type=dptype,
        )


#: The parameter names, in declaration order (``QueryParams`` attributes).
PARAMETER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(QueryParams))
_CALIBRATION_LEVELS = frozenset(range(5))


def public_name(name: str) -> str:
    """A parameter's name as clients spell it (GraphQL, query forms, jobs): camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


#: Every accepted spelling of each parameter name (Python and public), to the Python name.
_SPELLINGS: dict[str, str] = {
    spelling: name for name in PARAMETER_NAMES for spelling in (name, public_name(name))
}


def parse_params(values: Mapping[str, Any]) -> QueryParams:
    """Validated parameters from client values keyed by name (either spelling); raise
    ``InvalidParameter`` for an unknown name or a bad value."""
    known: dict[str, Any] = {}
    for key, value in values.items():
        name = _SPELLINGS.get(key)
        if name is None:
            raise InvalidParameter(key, "is not a query parameter")
        known[name] = value
    return QueryParams(**known).validated()


def _check_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(public_name(name), "must be text")
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        return None
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidParameter(public_name(name), f"longer than {MAX_TEXT_LENGTH} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in value):
        raise InvalidParameter(public_name(name), "contains control or unassigned characters")
    return value


def _check_finite(name: str, value: float | None, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameter(name, "must be a number")
    if not math.isfinite(value):
        raise InvalidParameter(name, "must be a finite number")
    if not low <= value <= high:
        raise InvalidParameter(name, f"must be between {low:g} and {high:g} degrees, got {value:g}")
    return float(value)


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
